package io.meshcap.lab.mtls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcECContentSignerBuilder;

/**
 * The lab's certificates, made fresh at {@code lab up} the way Istio's CA issues workload certificates: a self-signed
 * root, and per workload an ECDSA P-256 key with a certificate whose only name is its SPIFFE identity
 * ({@code spiffe://cluster.local/ns/lab/sa/NAME}, a URI SAN). Files in one directory: {@code ca.pem},
 * {@code NAME.pem} (the certificate) and {@code NAME.key} (PKCS#8), all PEM; the caller sets owners and modes.
 */
public final class LabPki {

    public static final String CA_FILE = "ca.pem";
    public static final String TRUST_DOMAIN = "cluster.local";
    public static final String NAMESPACE = "lab";
    private static final String SIGNATURE = "SHA256withECDSA";
    /** A lab may stay up for long; its certificates outlive it comfortably. */
    private static final Duration VALIDITY = Duration.ofDays(365);
    /** Clocks of the namespaces are the host's, but a certificate valid from "now" fails on the next second's edge. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final int SERIAL_BITS = 64;

    private final SecureRandom random = new SecureRandom();
    private final AsymmetricCipherKeyPair caKeys = keyPair();
    private final X500Name caName = new X500Name("O=meshcap lab,CN=meshcap lab root CA");

    private LabPki() {
    }

    /** The workload identity of a service account in the lab's namespace. */
    public static String spiffeId(String serviceAccount) {
        return "spiffe://" + TRUST_DOMAIN + "/ns/" + NAMESPACE + "/sa/" + serviceAccount;
    }

    public static Path certificateFile(Path directory, String identity) {
        return directory.resolve(identity + ".pem");
    }

    public static Path keyFile(Path directory, String identity) {
        return directory.resolve(identity + ".key");
    }

    /** Writes a new root and a key and certificate for each identity into {@code directory}. */
    public static void create(Path directory, String... identities) throws IOException {
        LabPki pki = new LabPki();
        write(directory.resolve(CA_FILE), Pem.encode(Pem.CERTIFICATE, pki.sign(pki.caName, pki.caKeys, null)));
        for (String identity : identities) {
            AsymmetricCipherKeyPair keys = pki.keyPair();
            write(certificateFile(directory, identity),
                    Pem.encode(Pem.CERTIFICATE, pki.sign(new X500Name("O=meshcap lab"), keys, spiffeId(identity))));
            write(keyFile(directory, identity), Pem.encode(Pem.PRIVATE_KEY,
                    PrivateKeyInfoFactory.createPrivateKeyInfo(keys.getPrivate()).getEncoded()));
        }
    }

    private static void write(Path file, String pem) throws IOException {
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
    }

    private AsymmetricCipherKeyPair keyPair() {
        ECKeyPairGenerator generator = new ECKeyPairGenerator();
        generator.init(new ECKeyGenerationParameters(new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1,
                ECNamedCurveTable.getByOID(SECObjectIdentifiers.secp256r1)), random));
        return generator.generateKeyPair();
    }

    /** A certificate for {@code keys} signed by the root: the root itself when {@code spiffeId} is null. */
    private byte[] sign(X500Name subject, AsymmetricCipherKeyPair keys, String spiffeId) throws IOException {
        Instant now = Instant.now();
        boolean root = spiffeId == null;
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(caName, new BigInteger(SERIAL_BITS, random),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject,
                SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(keys.getPublic()));
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(root));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(root
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (!root) {
                builder.addExtension(Extension.subjectAlternativeName, true,
                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
            }
            return builder.build(signer(caKeys.getPrivate())).getEncoded();
        } catch (CertIOException | OperatorCreationException e) {
            throw new IOException("cannot make the lab's certificates: " + e.getMessage(), e);
        }
    }

    private static ContentSigner signer(AsymmetricKeyParameter key)
            throws OperatorCreationException {
        AlgorithmIdentifier signature = new DefaultSignatureAlgorithmIdentifierFinder().find(SIGNATURE);
        AlgorithmIdentifier digest = new DefaultDigestAlgorithmIdentifierFinder().find(signature);
        return new BcECContentSignerBuilder(signature, digest).build(key);
    }
}
