package io.meshcap.reassoc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A client's first bytes read as a TLS ClientHello: hellos the JDK's TLS client sends (framed as it frames them, or
 * split over two records), hellos cut or damaged at each length field, one built by hand without extensions, and
 * the client random read from a first segment alone. Offsets follow RFC 8446 section 4.1.2 (a 5-byte record
 * header, a 4-byte handshake header, the 2-byte version, the 32-byte random).
 */
class ClientHelloTest {

    private static final String ISTIO_SNI = "outbound_.9080_._.reviews.default.svc.cluster.local";

    private static ClientHello parsed(byte[] bytes) {
        return assertInstanceOf(ClientHello.Parsed.class, ClientHello.parse(bytes, bytes.length)).hello();
    }

    @Test
    void istioIsToldByItsServerNameFormOrAnIstioProtocol() throws Exception {
        ClientHello both = parsed(StitcherTest.clientHello(ISTIO_SNI, "istio-peer-exchange", "istio"));
        assertTrue(both.istio());
        ClientHello bySni = parsed(StitcherTest.clientHello(ISTIO_SNI, "h2"));
        assertTrue(bySni.istio());
        assertEquals(List.of("h2"), bySni.protocols());
        ClientHello byAlpn = parsed(StitcherTest.clientHello("reviews.example", "istio-http/1.1"));
        assertTrue(byAlpn.istio());
        assertEquals("reviews.example", byAlpn.serverName());
        assertFalse(parsed(StitcherTest.clientHello("outbound_.9080_.reviews", "h2", "http/1.1")).istio());
        assertEquals(List.of("h2", "http/1.1"),
                parsed(StitcherTest.clientHello("outbound_.9080_.reviews", "h2", "http/1.1")).protocols());
    }

    @Test
    void aHelloSplitOverTwoRecordsIsJoinedAndOneCutAnywhereNeedsMore() throws Exception {
        byte[] hello = StitcherTest.clientHello(ISTIO_SNI, "istio");
        byte[] handshake = Arrays.copyOfRange(hello, 5, hello.length);
        int half = handshake.length / 2;
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        two.write(record(Arrays.copyOf(handshake, half)));
        two.write(record(Arrays.copyOfRange(handshake, half, handshake.length)));
        byte[] split = two.toByteArray();
        ClientHello joined = parsed(split);
        assertEquals(ISTIO_SNI, joined.serverName());
        assertEquals(HexFormat.of().formatHex(hello, 11, 43), joined.random());
        for (int length : new int[] {1, 5, 8, 9, 43, half + 5, half + 10, split.length - 1}) {
            assertInstanceOf(ClientHello.NeedMore.class, ClientHello.parse(split, length), "first " + length);
        }
        assertInstanceOf(ClientHello.NeedMore.class, ClientHello.parse(split, 0));
    }

    @Test
    void bytesThatAreNotAClientHelloAreToldAtOnce() throws Exception {
        byte[] hello = StitcherTest.clientHello("example.com", "h2");
        byte[] notHandshake = hello.clone();
        notHandshake[0] = 23; // application data
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(notHandshake, notHandshake.length));
        byte[] sslv2Major = hello.clone();
        sslv2Major[1] = 2;
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(sslv2Major, sslv2Major.length));
        byte[] serverHello = hello.clone();
        serverHello[5] = 2;
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(serverHello, serverHello.length));
        // A handshake claiming more than a hello may be.
        byte[] huge = hello.clone();
        huge[6] = 1;
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(huge, huge.length));
    }

    /** Version, random, session id, one cipher suite, one compression method: nothing more (before TLS 1.3). */
    private static byte[] minimalHello(int sessionIdLength, byte... extra) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(3);
        for (int i = 0; i < 32; i++) {
            body.write(i + 1);
        }
        body.write(sessionIdLength);
        body.writeBytes(new byte[sessionIdLength]);
        body.writeBytes(new byte[] {0, 2, 0x13, 0x01, 1, 0});
        body.writeBytes(extra);
        byte[] bytes = body.toByteArray();
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        handshake.writeBytes(new byte[] {1, 0, (byte) (bytes.length >>> 8), (byte) bytes.length});
        handshake.writeBytes(bytes);
        return record(handshake.toByteArray());
    }

    @Test
    void aHelloWithoutExtensionsHasNoNameAndNoProtocolsAndOneWithAStrayByteIsNone() {
        ClientHello plain = parsed(minimalHello(0));
        assertNull(plain.serverName());
        assertEquals(List.of(), plain.protocols());
        assertFalse(plain.istio());
        assertEquals("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", plain.random());
        assertEquals("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
                parsed(minimalHello(32)).random());
        byte[] stray = minimalHello(0, (byte) 7);
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(stray, stray.length));
        // Extensions whose block claims more than the hello holds; one extension running past the block.
        byte[] longBlock = minimalHello(0, (byte) 0, (byte) 9, (byte) 0, (byte) 0);
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(longBlock, longBlock.length));
        byte[] longExtension = minimalHello(0, (byte) 0, (byte) 4, (byte) 0, (byte) 0, (byte) 0, (byte) 9);
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(longExtension, longExtension.length));
        // A session id running past the hello.
        byte[] cut = minimalHello(0);
        cut[43] = (byte) 200;
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(cut, cut.length));
    }

    @Test
    void anSniOrAlpnListCutShortGivesNoNameOrTheProtocolsBeforeTheCut() {
        // server_name: list length, then type 0, length 9, "bad.name" (8 bytes): the entry runs past its list.
        byte[] sni = minimalHello(0, ext(0, 0, 12, 0, 0, 9, 'b', 'a', 'd', '.', 'n', 'a', 'm', 'e', 'x'));
        byte[] cutSni = sni.clone();
        cutSni[cutSni.length - 10] = 10;
        assertEquals("bad.namex", parsed(sni).serverName());
        assertNull(parsed(cutSni).serverName());
        // A name of another type first, then the host name.
        assertEquals("h", parsed(minimalHello(0, ext(0, 0, 8, 1, 0, 1, 'x', 0, 0, 1, 'h'))).serverName());
        // ALPN: "h2", then an entry claiming 9 bytes where 2 are left.
        assertEquals(List.of("h2"), parsed(minimalHello(0, ext(16, 0, 6, 2, 'h', '2', 9, 'a', 'b'))).protocols());
    }

    /** Lengths that end exactly where their list or the hello ends are read; one byte more is not. */
    @Test
    void aFieldEndingExactlyAtItsBoundIsReadAndOneByteLongerIsNot() {
        // An extensions block of length 0, its length field the hello's last two bytes.
        ClientHello noExtensions = parsed(minimalHello(0, (byte) 0, (byte) 0));
        assertNull(noExtensions.serverName());
        assertEquals(List.of(), noExtensions.protocols());
        // An empty host name: its entry's 3-byte header ends exactly at the end of the list.
        assertEquals("", parsed(minimalHello(0, ext(0, 0, 3, 0, 0, 0))).serverName());
        // ALPN: a last entry ending exactly at the end of the list, and one claiming a single byte more.
        assertEquals(List.of("h2", "ab"), parsed(minimalHello(0, ext(16, 0, 6, 2, 'h', '2', 2, 'a', 'b'))).protocols());
        assertEquals(List.of("h2"), parsed(minimalHello(0, ext(16, 0, 6, 2, 'h', '2', 3, 'a', 'b'))).protocols());
    }

    /** What the first record or handshake header already rules out is told without waiting for more bytes. */
    @Test
    void aHeaderThatRulesOutAHelloIsToldWithoutTheRest() {
        // A record header alone whose version is not TLS's (SSL 2).
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(new byte[] {22, 2, 0, 0, 40}, 5));
        // A handshake header alone, of a ServerHello (type 2).
        byte[] serverHello = record(new byte[] {2, 0, 0, 40});
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(serverHello, serverHello.length));
        // A ClientHello header alone is the start of one.
        byte[] clientHello = record(new byte[] {1, 0, 0, 40});
        assertInstanceOf(ClientHello.NeedMore.class, ClientHello.parse(clientHello, clientHello.length));
    }

    /** A client that sent 16 KiB without four handshake bytes among them is not sending a hello. */
    @Test
    void sixteenKibibytesOfEmptyHandshakeRecordsAreNoHello() {
        byte[] empty = new byte[16 * 1024];
        for (int at = 0; at + 4 <= empty.length; at += 5) {
            empty[at] = 22;
            empty[at + 1] = 3;
            empty[at + 2] = 1;
        }
        assertInstanceOf(ClientHello.NotHello.class, ClientHello.parse(empty, empty.length));
        assertInstanceOf(ClientHello.NeedMore.class, ClientHello.parse(empty, empty.length - 1));
    }

    /** An extensions block holding one extension of {@code type} with {@code data}. */
    private static byte[] ext(int type, int... data) {
        byte[] bytes = new byte[6 + data.length];
        bytes[1] = (byte) (4 + data.length);
        bytes[3] = (byte) type;
        bytes[5] = (byte) data.length;
        for (int i = 0; i < data.length; i++) {
            bytes[6 + i] = (byte) data[i];
        }
        return bytes;
    }

    @Test
    void theClientRandomIsReadFromTheFirstSegmentAlone() throws Exception {
        byte[] hello = StitcherTest.clientHello("example.com", "h2");
        String random = HexFormat.of().formatHex(hello, 11, 43);
        byte[] segment = new byte[7 + 43];
        System.arraycopy(hello, 0, segment, 7, 43);
        assertEquals(Optional.of(random), ClientHello.randomAt(segment, 7, segment.length));
        assertEquals(Optional.empty(), ClientHello.randomAt(segment, 7, segment.length - 1));
        for (int at : new int[] {0, 1, 5}) {
            byte[] other = segment.clone();
            other[7 + at] = 99;
            assertEquals(Optional.empty(), ClientHello.randomAt(other, 7, other.length), "byte " + at);
        }
    }

    private static byte[] record(byte[] handshake) {
        byte[] record = new byte[5 + handshake.length];
        record[0] = 22;
        record[1] = 3;
        record[2] = 1;
        record[3] = (byte) (handshake.length >>> 8);
        record[4] = (byte) handshake.length;
        System.arraycopy(handshake, 0, record, 5, handshake.length);
        return record;
    }
}
