package io.meshcap.istio;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One row per real dump: every value is what that dump's rules say (see rules/README.md), so a parser that
 * misreads a variant fails its row.
 */
class InterceptionParsingTest {

    /** The expected model; {@link #sidecar()} is the default injection and each row changes what its dump changes. */
    record Expected(RuleBackend backend, InterceptionMode mode, Integer outboundPort, Integer inboundPort, Integer hbonePort,
            boolean inboundAll, Set<Integer> inboundExcluded, Set<Integer> inboundIncluded, boolean outboundAll,
            List<String> excludedCidrs, List<String> includedCidrs, Set<Integer> outboundExcluded,
            Set<Integer> outboundIncluded, Set<Long> uids, Set<Long> gids, String proxyMark, String tproxyMark,
            Integer dnsPort, List<String> interfaces, List<Integer> unrecognisedLines, LoopbackSource loopbackSource) {

        static Expected sidecar() {
            return new Expected(RuleBackend.IPTABLES_NFT, InterceptionMode.REDIRECT, 15001, 15006, null, true,
                    Set.of(15008, 15090, 15021, 15020), Set.of(), true, List.of(), List.of(), Set.of(), Set.of(),
                    Set.of(1337L), Set.of(1337L), null, null, null, List.of(), List.of(), LoopbackSource.ENVOY_BIND_ADDRESS);
        }

        Expected backend(RuleBackend value) {
            return new Expected(value, mode, outboundPort, inboundPort, hbonePort, inboundAll, inboundExcluded,
                    inboundIncluded, outboundAll, excludedCidrs, includedCidrs, outboundExcluded, outboundIncluded, uids,
                    gids, proxyMark, tproxyMark, dnsPort, interfaces, unrecognisedLines, loopbackSource);
        }

        Expected owners(long uid, long gid) {
            return new Expected(backend, mode, outboundPort, inboundPort, hbonePort, inboundAll, inboundExcluded,
                    inboundIncluded, outboundAll, excludedCidrs, includedCidrs, outboundExcluded, outboundIncluded,
                    Set.of(uid), Set.of(gid), proxyMark, tproxyMark, dnsPort, interfaces, unrecognisedLines, loopbackSource);
        }

        Expected inbound(boolean all, Set<Integer> excluded, Set<Integer> included) {
            return new Expected(backend, mode, outboundPort, inboundPort, hbonePort, all, excluded, included,
                    outboundAll, excludedCidrs, includedCidrs, outboundExcluded, outboundIncluded, uids, gids, proxyMark,
                    tproxyMark, dnsPort, interfaces, unrecognisedLines, loopbackSource);
        }

        Expected outbound(boolean all, List<String> excluded, List<String> included, Set<Integer> excludedPorts,
                Set<Integer> includedPorts) {
            return new Expected(backend, mode, outboundPort, inboundPort, hbonePort, inboundAll, inboundExcluded,
                    inboundIncluded, all, excluded, included, excludedPorts, includedPorts, uids, gids, proxyMark,
                    tproxyMark, dnsPort, interfaces, unrecognisedLines, loopbackSource);
        }

        Expected dns(Integer port) {
            return new Expected(backend, mode, outboundPort, inboundPort, hbonePort, inboundAll, inboundExcluded,
                    inboundIncluded, outboundAll, excludedCidrs, includedCidrs, outboundExcluded, outboundIncluded, uids,
                    gids, proxyMark, tproxyMark, port, interfaces, unrecognisedLines, loopbackSource);
        }

        Expected tproxy(String tproxyMarkValue, List<String> excludedInterfaces) {
            return new Expected(backend, InterceptionMode.TPROXY, outboundPort, inboundPort, hbonePort, inboundAll,
                    inboundExcluded, inboundIncluded, outboundAll, excludedCidrs, includedCidrs, outboundExcluded,
                    outboundIncluded, uids, gids, proxyMark, tproxyMarkValue, dnsPort, excludedInterfaces,
                    unrecognisedLines, LoopbackSource.ORIGINAL_CLIENT);
        }

        Expected ambient(String mark, String tproxyMarkValue, int hbone) {
            return new Expected(backend, InterceptionMode.AMBIENT, outboundPort, inboundPort, hbone, true, Set.of(),
                    Set.of(), true, List.of(), List.of(), Set.of(), Set.of(), Set.of(), Set.of(), mark, tproxyMarkValue,
                    dnsPort, interfaces, unrecognisedLines, LoopbackSource.ORIGINAL_CLIENT);
        }

        Expected unrecognised(List<Integer> lines) {
            return new Expected(backend, mode, outboundPort, inboundPort, hbonePort, inboundAll, inboundExcluded,
                    inboundIncluded, outboundAll, excludedCidrs, includedCidrs, outboundExcluded, outboundIncluded, uids,
                    gids, proxyMark, tproxyMark, dnsPort, interfaces, lines, loopbackSource);
        }
    }

    record Row(String dump, Expected expected) {
        @Override
        public String toString() {
            return dump;
        }
    }

    static Stream<Row> dumps() {
        Set<Integer> istioOwn = Set.of(15008, 15090, 15021, 15020);
        return Stream.of(
                new Row("seed-uid201507.iptables-save",
                        Expected.sidecar().backend(RuleBackend.IPTABLES_LEGACY).owners(201507, 201507)),
                new Row("seed-uid1337-port22-mangled.iptables-save",
                        Expected.sidecar().backend(RuleBackend.IPTABLES_UNKNOWN)
                                .inbound(true, Set.of(22, 15008, 15090, 15021, 15020), Set.of())
                                .unrecognised(List.of(5, 6, 7, 8, 9))),
                new Row("default-injection.iptables-save", Expected.sidecar()),
                new Row("dualstack.iptables-save", Expected.sidecar()),
                new Row("tproxy.iptables-legacy-save",
                        Expected.sidecar().backend(RuleBackend.IPTABLES_LEGACY).tproxy("0x539", List.of("net1"))),
                new Row("dns-capture.iptables-save", Expected.sidecar().dns(15053)),
                new Row("outbound-excludes.iptables-save",
                        Expected.sidecar()
                                .inbound(true, Set.of(9000, 15008, 15090, 15021, 15020), Set.of())
                                .outbound(true, List.of("198.18.0.0/24", "198.18.7.0/24"), List.of(),
                                        Set.of(3306, 5432), Set.of())),
                new Row("include-ports.iptables-save",
                        Expected.sidecar()
                                .inbound(false, Set.of(15008), Set.of(8080, 9090))
                                .outbound(false, List.of(), List.of("198.19.0.0/16"), Set.of(), Set.of(7070))),
                new Row("openshift-uid.iptables-save", Expected.sidecar().owners(1000680000, 1000680000)),
                new Row("ambient-inpod.iptables-save",
                        Expected.sidecar().ambient("0x539/0xfff", "0x111/0xfff", 15008).dns(15053)),
                new Row("ambient-nftables.nft",
                        Expected.sidecar().backend(RuleBackend.NFTABLES).ambient("0x539/0xfff", null, 15008).dns(15053)),
                new Row("collector-legacy-nft-ruleset.txt", Expected.sidecar()),
                new Row("lab/lab-default.txt", Expected.sidecar()),
                new Row("native-nftables.nft",
                        Expected.sidecar().backend(RuleBackend.NFTABLES)
                                .inbound(true, union(istioOwn, 22), Set.of())
                                .outbound(true, List.of("198.18.0.0/24"), List.of(), Set.of(), Set.of())
                                .dns(15053)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dumps")
    void readsWhatTheDumpSays(Row row) {
        InterceptionModel model = RuleDumps.read(row.dump());
        Expected e = row.expected();
        assertAll(
                () -> assertEquals(e.backend(), model.backend(), "backend"),
                () -> assertEquals(e.mode(), model.mode(), "mode"),
                () -> assertEquals(e.outboundPort(), model.outboundRedirectPort(), "outbound redirect port"),
                () -> assertEquals(e.inboundPort(), model.inboundRedirectPort(), "inbound redirect port"),
                () -> assertEquals(e.hbonePort(), model.hboneTunnelPort(), "HBONE port"),
                () -> assertEquals(e.inboundAll(), model.inboundCapturesAllPorts(), "inbound captures all"),
                () -> assertEquals(e.inboundExcluded(), model.inboundExcludedPorts(), "inbound excluded"),
                () -> assertEquals(e.inboundIncluded(), model.inboundIncludedPorts(), "inbound included"),
                () -> assertEquals(e.outboundAll(), model.outboundCapturesAll(), "outbound captures all"),
                () -> assertEquals(e.excludedCidrs(), model.outboundExcludedCidrs(), "outbound excluded CIDRs"),
                () -> assertEquals(e.includedCidrs(), model.outboundIncludedCidrs(), "outbound included CIDRs"),
                () -> assertEquals(e.outboundExcluded(), model.outboundExcludedPorts(), "outbound excluded ports"),
                () -> assertEquals(e.outboundIncluded(), model.outboundIncludedPorts(), "outbound included ports"),
                () -> assertEquals(e.uids(), model.proxyUids(), "proxy uids"),
                () -> assertEquals(e.gids(), model.proxyGids(), "proxy gids"),
                () -> assertEquals(e.proxyMark(), text(model.proxyMark()), "proxy mark"),
                () -> assertEquals(e.tproxyMark(), text(model.tproxyMark()), "TPROXY mark"),
                () -> assertEquals(e.dnsPort(), model.dnsRedirectPort(), "DNS redirect port"),
                () -> assertEquals(e.interfaces(), model.excludedInterfaces(), "excluded interfaces"),
                () -> assertEquals(e.unrecognisedLines(), model.unrecognised().stream().map(UnrecognisedRule::line).toList(),
                        () -> "unrecognised: " + model.unrecognised()),
                () -> assertEquals(e.loopbackSource(), model.inboundLoopbackSource(), "inbound loopback source"),
                () -> assertEquals(List.of(), model.shadowingRules(), "rules that keep later ones from applying"));
    }

    /** Dumps from the lab namespace: whatever is dropped in rules/lab must read as Istio's rules, fully understood. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("labDumps")
    void labDumpsAreFullyUnderstood(Path dump) throws IOException {
        InterceptionModel model = RuleDumpReader.read(Files.readString(dump));
        assertTrue(model.mode() != InterceptionMode.NONE, "no Istio rules found");
        assertEquals(List.of(), model.unrecognised());
    }

    static Stream<Path> labDumps() throws IOException, URISyntaxException {
        Path lab = Path.of(InterceptionParsingTest.class.getResource("/rules/lab").toURI());
        try (Stream<Path> files = Files.list(lab)) {
            return files.sorted().toList().stream();
        }
    }

    private static Set<Integer> union(Set<Integer> ports, int extra) {
        return Stream.concat(ports.stream(), Stream.of(extra)).collect(Collectors.toSet());
    }

    private static String text(SocketMark mark) {
        return mark == null ? null : mark.toString();
    }
}
