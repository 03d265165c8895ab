package io.meshcap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.format.BlockBuilder;
import io.meshcap.format.LinkType;
import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.StderrWatch;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code meshcap merge} keeps what its inputs hold, judged by tshark and capinfos and compared with mergecap. Inputs
 * come from Wireshark's and tcpdump's own tools where they can make the feature (dumpcap's statistics and interface
 * options, editcap's secrets and comments), and are built block by block from the pcapng specification where they
 * cannot (several comments on one packet, packet flags, local-use blocks, big-endian sections, damaged times).
 */
class MergeFidelityTest {

    /** 2026-11-22T07:46:40Z in microseconds, the hand-built inputs' time unit. */
    private static final long T0_MICROS = 1_795_333_600_000_000L;
    private static final int TLS_KEY_LOG = 0x544c534b;
    /** RFC 5612's enterprise number, set aside for documentation. */
    private static final int EXAMPLE_PEN = 32473;
    private static final int LOCAL_USE_BLOCK = 0x80000001;
    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path dir;

    /** A 40-byte IPv4/UDP datagram from 198.18.0.1:50000 to 198.18.0.7:8080 (link type RAW). */
    private static byte[] udp() {
        return new byte[] {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 17, 0, 0, (byte) 198, 18, 0, 1, (byte) 198, 18, 0, 7,
            (byte) 0xc3, 0x50, 0x1f, (byte) 0x90, 0, 20, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    }

    /**
     * A pcapng leg holding every kind of block and option meshcap carries: section comment, hardware and OS;
     * interface options; an interface without packets; secrets before the packets and between them; name
     * resolution; packets with two comments, flags, hash, drop count, id and queue; a copyable and a not-to-be-copied
     * custom block; interface statistics with start and end times; and, when asked, two local-use blocks.
     */
    private Path featureLeg(String name, ByteOrder order, boolean localUse) throws IOException {
        BlockBuilder b = new BlockBuilder(order);
        b.shb(b.option(1, "leg A: captured by the test"), b.option(2, "test hardware"), b.option(3, "Linux 6.1"),
                b.option(4, "BlockBuilder"));
        b.idb(LinkType.RAW, 0, b.option(2, "lo"), b.option(9, new byte[] {6}),
                b.option(11, "\0udp port 8080"), b.option(12, "Linux 6.1.0-test"), b.option(15, "virtio-net"),
                b.longOption(8, 10_000_000_000L), b.option(13, new byte[] {4}), b.option(1, "interface comment"));
        b.idb(LinkType.RAW, 0, b.option(2, "unused"));
        // After the interfaces: Wireshark 4.0's editcap and mergecap cannot rewrite a file whose secrets come first.
        b.dsb(TLS_KEY_LOG, "CLIENT_RANDOM aa bb\n".getBytes(StandardCharsets.US_ASCII));
        b.nrbIpv4(new byte[] {(byte) 198, 18, 0, 7}, "reviews.bookinfo.test");
        b.epb(0, T0_MICROS, 40, udp(), b.option(1, "one"), b.option(1, "two"), b.intOption(2, 1),
                b.option(3, new byte[] {2, 0x11, 0x22, 0x33, 0x44}), b.longOption(4, 7), b.longOption(5, 42),
                b.intOption(6, 3));
        if (localUse) {
            b.block(LOCAL_USE_BLOCK, new byte[] {1, 2, 3, 4});
        }
        b.epb(0, T0_MICROS + 10, 40, udp());
        b.custom(true, EXAMPLE_PEN, "meshcap-custom-marker".getBytes(StandardCharsets.US_ASCII));
        b.custom(false, EXAMPLE_PEN, "not-to-be-copied".getBytes(StandardCharsets.US_ASCII));
        if (localUse) {
            b.block(LOCAL_USE_BLOCK, new byte[] {5, 6, 7, 8});
        }
        b.dsb(TLS_KEY_LOG, "CLIENT_RANDOM cc dd\n".getBytes(StandardCharsets.US_ASCII));
        b.epb(0, T0_MICROS + 20, 40, udp());
        b.isb(0, T0_MICROS + 30, b.timeOption(2, T0_MICROS - 5), b.timeOption(3, T0_MICROS + 30),
                b.longOption(4, 10), b.longOption(5, 1));
        return Files.write(dir.resolve(name), b.toByteArray());
    }

    /** A classic pcap leg of RAW packets, a microsecond apart from {@code startMicros}. */
    private Path pcapLeg(String name, int snapLength, int packets, long startMicros, int size) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN).pcapHeader(false, snapLength, LinkType.RAW);
        for (int i = 0; i < packets; i++) {
            long micros = startMicros + i;
            b.pcapRecord(micros / 1_000_000, micros % 1_000_000, size, raw(size));
        }
        return Files.write(dir.resolve(name), b.toByteArray());
    }

    private static byte[] raw(int size) {
        byte[] data = new byte[size];
        System.arraycopy(udp(), 0, data, 0, Math.min(size, 20));
        return data;
    }

    private CliRun merge(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    @ParameterizedTest
    @EnumSource(Endian.class)
    void interfaceOptionsStatisticsNamesSecretsAndEmptyInterfacesAreKept(Endian endian) throws IOException {
        Path leg = featureLeg("a.pcapng", endian.order, false);
        Path other = pcapLeg("b.pcap", 65535, 2, T0_MICROS + 5, 60);
        Path out = dir.resolve("out.pcapng");
        merge("merge", leg.toString(), other.toString(), "-o", out.toString());

        String input = Tshark.run("capinfos", leg.toString());
        String merged = Tshark.run("capinfos", out.toString());
        // Interface 0 and 1 of the output are the feature leg's: every option capinfos shows, statistics included.
        assertEquals(interfaceInfo(input, 0), interfaceInfo(merged, 0));
        assertEquals(interfaceInfo(input, 1), interfaceInfo(merged, 1));
        assertTrue(interfaceInfo(merged, 0).contains("Number of stat entries = 1"), merged);
        assertTrue(interfaceInfo(merged, 1).contains("Number of packets = 0"), merged);
        assertTrue(merged.contains("Number of interfaces in file: 3"), merged);
        assertTrue(merged.contains("Number of resolved IPv4 addresses in file: 1"), merged);
        assertTrue(merged.contains("Number of decryption secrets in file: 2"), merged);
        assertTrue(Tshark.run("tshark", "-n", "-r", out.toString(), "-q", "-z", "hosts")
                .contains("198.18.0.7\treviews.bookinfo.test"));
        // What mergecap keeps of the interfaces, meshcap keeps too.
        Path reference = dir.resolve("mergecap.pcapng");
        Tshark.run("mergecap", "-w", reference.toString(), leg.toString(), other.toString());
        String mergecap = Tshark.run("capinfos", reference.toString());
        for (String line : interfaceInfo(mergecap, 0)) {
            assertTrue(line.contains("stat entries") || interfaceInfo(merged, 0).contains(line), line);
        }
    }

    @ParameterizedTest
    @EnumSource(Endian.class)
    void packetCommentsFlagsAndCountersAreKeptAndCommentsStayApart(Endian endian) throws IOException {
        Path leg = featureLeg("a.pcapng", endian.order, false);
        Path out = dir.resolve("out.pcapng");
        merge("merge", leg.toString(), "-o", out.toString());
        String[] fields = {"frame.comment", "frame.packet_flags_direction", "frame.drop_count", "frame.packet_id",
            "frame.interface_queue"};
        List<List<String>> expected = packetFields(leg, fields);
        assertEquals(List.of("one|two", "0x00000001", "7", "42", "3"), expected.get(0), "the input as tshark reads it");
        assertEquals(expected, packetFields(out, fields));
    }

    /** {@code meshcap reassociate} copies one file the same way: all but what it rewrites is kept. */
    @Test
    void reassociateKeepsWhatTheInputHoldsToo() throws IOException {
        Path leg = featureLeg("a.pcapng", ByteOrder.BIG_ENDIAN, false);
        Path out = dir.resolve("out.pcapng");
        CliRun run = CliRun.of("reassociate", leg.toString(), "-o", out.toString());
        assertEquals(0, run.exitCode(), run::toString);
        String input = Tshark.run("capinfos", leg.toString());
        String output = Tshark.run("capinfos", out.toString());
        assertEquals(interfaceInfo(input, 0), interfaceInfo(output, 0));
        assertEquals(interfaceInfo(input, 1), interfaceInfo(output, 1));
        for (String line : List.of("Capture comment:     leg A: captured by the test", "Capture hardware:    test hardware",
                "Number of resolved IPv4 addresses in file: 1", "Number of decryption secrets in file: 2")) {
            assertTrue(output.contains(line), line + " missing from\n" + output);
        }
        // Every block in its place, but the custom block marked not to be copied.
        assertEquals(List.of(blockFields(leg, "pcapng.block.type").get(0).replace("|0x40000bad", "")),
                blockFields(out, "pcapng.block.type"));
        String[] fields = {"frame.comment", "frame.packet_flags_direction", "frame.drop_count"};
        assertEquals(packetFields(leg, fields), packetFields(out, fields));
    }

    /** Every packet's fields (custom blocks, which tshark lists as frames too, left out), several values joined by |. */
    private static List<List<String>> packetFields(Path file, String... fields) {
        return fields(file, List.of("-Y", "ip"), fields);
    }

    /**
     * Fields of the file's blocks as Wireshark's pcapng file dissector shows them (tshark reading the file as a
     * file, not as a capture): every block in file order, several values joined by |.
     */
    private static List<String> blockFields(Path file, String... fields) {
        return fields(file, List.of("-X", "read_format:MIME Files Format"), fields).get(0);
    }

    private static List<List<String>> fields(Path file, List<String> options, String... fields) {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-T", "fields",
                "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"));
        argv.addAll(options);
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        return Tshark.run(argv).lines().map(line -> List.of(line.split("\t", -1))).toList();
    }

    @Test
    void localUseBlocksAreSkippedWithOneNoteAndDamageIsStillRefused() throws IOException {
        Path leg = featureLeg("a.pcapng", ByteOrder.LITTLE_ENDIAN, true);
        Path out = dir.resolve("out.pcapng");
        CliRun run = merge("merge", leg.toString(), "-o", out.toString());
        assertEquals(3, Tshark.capinfosCount(out));
        List<String> notes = run.err().lines().filter(line -> line.contains("0x80000001")).toList();
        assertEquals(1, notes.size(), run.err());
        assertTrue(notes.get(0).startsWith("meshcap: note: " + leg + ": skipped "), notes.get(0));
        assertTrue(notes.get(0).contains("2 blocks of unknown type 0x80000001"), notes.get(0));

        // The same block with a damaged trailer is damage, not a block to skip.
        byte[] bytes = Files.readAllBytes(leg);
        int local = indexOf(bytes, new byte[] {1, 0, 0, (byte) 0x80});
        bytes[local + 12] = 99; // the trailer's length
        Path damaged = Files.write(dir.resolve("damaged.pcapng"), bytes);
        CliRun refused = CliRun.of("merge", damaged.toString(), "-o", dir.resolve("d.pcapng").toString());
        assertEquals(1, refused.exitCode(), refused::toString);
        assertTrue(refused.err().startsWith("meshcap: " + damaged + ": offset " + (local + 12) + ": "), refused.err());
    }

    /**
     * Secrets, name resolution, custom blocks and statistics keep their place among the packets of their input
     * (after the packet before them, before the packet after them) while another input's packets interleave.
     */
    @Test
    void otherBlocksKeepTheirPlaceAmongThePackets() throws IOException {
        Path leg = featureLeg("a.pcapng", ByteOrder.LITTLE_ENDIAN, false);
        Path other = pcapLeg("b.pcap", 65535, 1, T0_MICROS + 5, 60);
        Path last = pcapLeg("c.pcap", 65535, 1, T0_MICROS + 15, 60);
        Path out = dir.resolve("out.pcapng");
        merge("merge", leg.toString(), other.toString(), last.toString(), "-o", out.toString());

        assertEquals(List.of(String.join("|", "0x0a0d0d0a", "0x00000001", "0x00000001", // SHB, a's interfaces
                "0x0000000a", "0x00000004", "0x00000001", "0x00000001", // a's secrets and names, b's and c's interface
                "0x00000006", "0x00000006", "0x00000006", // a at 0 µs, b at 5, a at 10
                "0x00000bad", "0x0000000a", // a's custom block and second secrets, before ...
                "0x00000006", "0x00000006", // ... c at 15 and a at 20
                "0x00000005")), // a's statistics
                blockFields(out, "pcapng.block.type"));
        List<String> secrets = blockFields(out, "pcapng.dsb.secrets_data");
        assertEquals(blockFields(leg, "pcapng.dsb.secrets_data"), secrets);
        assertEquals(blockFields(leg, "pcapng.options.option.data.packet.hash.data",
                "pcapng.options.option.data.interface.received", "pcapng.options.option.data.interface.dropped"),
                blockFields(out, "pcapng.options.option.data.packet.hash.data",
                "pcapng.options.option.data.interface.received", "pcapng.options.option.data.interface.dropped"));
        // The statistics' time is the input's, now in nanoseconds; so are its start and end options.
        String times = blockFields(out, "pcapng.timestamp").get(0);
        assertTrue(times.endsWith("|Nov 22, 2026 07:46:40.000030000 UTC"), times);
        assertTrue(blockFields(leg, "pcapng.timestamp").get(0).endsWith("|Nov 22, 2026 07:46:40.000030000 UTC"));
        byte[] bytes = Files.readAllBytes(out);
        long start = (T0_MICROS - 5) * 1000;
        assertTrue(indexOf(bytes, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 2)
                .putShort((short) 8).putInt((int) (start >>> 32)).putInt((int) start).array()) > 0, "isb_starttime");

        // tshark lists custom blocks among the frames: the copyable one is there, the other is not.
        assertEquals(List.of("will be copied"), Tshark.run("tshark", "-n", "-r", out.toString()).lines()
                .filter(line -> line.contains("Custom Block")).map(line -> line.replaceAll(".*, ", "")).toList());
    }

    @Test
    void sectionHeaderNamesMeshcapAndKeepsEveryInputsComments() throws IOException {
        BlockBuilder second = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        second.shb(second.option(1, "leg B: the other node"), second.option(1, "leg A: captured by the test"),
                second.option(3, "Linux 5.15"));
        second.idb(LinkType.RAW, 0).epb(0, T0_MICROS + 1, 40, udp());
        Path b = Files.write(dir.resolve("b.pcapng"), second.toByteArray());
        Path out = dir.resolve("out.pcapng");
        merge("merge", featureLeg("a.pcapng", ByteOrder.LITTLE_ENDIAN, false).toString(), b.toString(), "-o", out.toString());
        String capinfos = Tshark.run("capinfos", out.toString());
        List<String> comments = capinfos.lines().filter(line -> line.startsWith("Capture comment:"))
                .map(line -> line.substring("Capture comment:".length()).trim()).toList();
        assertEquals(List.of("leg A: captured by the test", "leg B: the other node"), comments, capinfos);
        assertTrue(capinfos.contains("Capture application: meshcap "), capinfos);
        assertTrue(capinfos.contains("Capture hardware:    test hardware"), capinfos);
        assertFalse(capinfos.contains("Capture oper-sys"), "the inputs name two systems: " + capinfos);
    }

    /**
     * Inputs from the tools themselves: a dumpcap capture (section hardware and OS, interface filter and OS,
     * statistics at the end) and an editcap edit of a tcpdump capture (injected secrets, a packet comment). Whatever
     * mergecap keeps of them, meshcap keeps.
     */
    @Test
    void whatMergecapKeepsOfDumpcapAndEditcapFilesMeshcapKeeps() throws Exception {
        Path dumpcap = dumpcap(dir.resolve("dumpcap.pcapng"), 3);
        Path tcpdump = dir.resolve("tcpdump.pcap");
        LoopbackCapture.record(tcpdump, 1);
        Path keys = Files.writeString(dir.resolve("keys.txt"), "CLIENT_RANDOM 0011 2233\n");
        Path edited = dir.resolve("edited.pcapng");
        Tshark.run("editcap", "-F", "pcapng", "--inject-secrets", "tls," + keys, "-a", "1:edited by editcap",
                tcpdump.toString(), edited.toString());
        Path out = dir.resolve("out.pcapng");
        Path reference = dir.resolve("mergecap.pcapng");
        merge("merge", dumpcap.toString(), edited.toString(), "-o", out.toString());
        Tshark.run("mergecap", "-w", reference.toString(), dumpcap.toString(), edited.toString());

        String merged = Tshark.run("capinfos", out.toString());
        String mergecap = Tshark.run("capinfos", reference.toString());
        for (int id = 0; id < 2; id++) {
            List<String> ours = interfaceInfo(merged, id);
            for (String line : interfaceInfo(mergecap, id)) {
                assertTrue(line.contains("stat entries") || line.startsWith("Name = ") || ours.contains(line),
                        "interface " + id + ": " + line + " missing from\n" + merged);
            }
        }
        assertEquals(interfaceInfo(Tshark.run("capinfos", dumpcap.toString()), 0).stream()
                .filter(line -> line.startsWith("Number of stat entries")).toList(),
                interfaceInfo(merged, 0).stream().filter(line -> line.startsWith("Number of stat entries")).toList(),
                "dumpcap's statistics are kept (mergecap drops them)");
        assertTrue(merged.contains("Number of decryption secrets in file: 1"), merged);
        assertEquals(Tshark.fields(reference, "frame.comment", "frame.comment"),
                Tshark.fields(out, "frame.comment", "frame.comment"));
        assertEquals(Tshark.count(reference), Tshark.count(out));
    }

    /** {@code dumpcap -i lo} until it has {@code packets} datagrams to a port of the test's own. */
    private static Path dumpcap(Path file, int packets) throws Exception {
        try (DatagramSocket target = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket sender = new DatagramSocket()) {
            int port = target.getLocalPort();
            Process dumpcap = new ProcessBuilder("dumpcap", "-q", "-i", "lo", "-f", "udp port " + port,
                    "-c", Integer.toString(packets), "-w", file.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            StderrWatch stderr = StderrWatch.start(dumpcap, "Capturing on");
            try {
                stderr.awaitMarker(TIMEOUT_SECONDS);
                // A datagram sent while dumpcap is still attaching its filter can be missed: send until it has enough.
                byte[] payload = "meshcap".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 10 * TIMEOUT_SECONDS && dumpcap.isAlive(); i++) {
                    sender.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
                    dumpcap.waitFor(100, TimeUnit.MILLISECONDS);
                }
                assertTrue(dumpcap.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), () -> stderr.text().getNow(""));
                assertEquals(0, dumpcap.exitValue(), () -> stderr.text().join());
            } finally {
                dumpcap.destroyForcibly();
            }
        }
        return file;
    }

    @Test
    void pcapOutputHeaderCoversEveryPacketTcpdumpReads() throws IOException {
        Path small = pcapLeg("small.pcap", 96, 3, T0_MICROS, 60);
        BlockBuilder unknown = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        unknown.shb().idb(LinkType.RAW, 0).epb(0, T0_MICROS + 1, 1000, raw(1000));
        Path unknownSnaplen = Files.write(dir.resolve("unknown.pcapng"), unknown.toByteArray());
        BlockBuilder later = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        later.shb().idb(LinkType.RAW, 128).epb(0, T0_MICROS + 2, 100, raw(100))
                .idb(LinkType.RAW, 65535).epb(1, T0_MICROS + 3, 1500, raw(1500));
        Path laterInterface = Files.write(dir.resolve("later.pcapng"), later.toByteArray());
        Path out = dir.resolve("out.pcap");
        merge("merge", small.toString(), unknownSnaplen.toString(), laterInterface.toString(),
                "--format", "pcap", "-o", out.toString());

        // tcpdump (libpcap) cuts every packet to the file header's snapshot length: what it rewrites shows the cut.
        Path rewritten = dir.resolve("tcpdump.pcap");
        Tshark.run("tcpdump", "-r", out.toString(), "-w", rewritten.toString());
        assertEquals(List.of("60", "60", "1000", "60", "100", "1500"), Tshark.fields(rewritten, null, "frame.cap_len")
                .stream().map(row -> row.get(0)).toList());
        assertTrue(Tshark.run("capinfos", "-l", out.toString()).contains("file hdr: 262144 bytes"));
    }

    /** An interface with a larger snapshot length, defined after the header is written: refused, never cut. */
    @Test
    void pcapOutputRefusesAPacketItsHeaderCannotCover() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb().idb(LinkType.RAW, 128).epb(0, T0_MICROS, 100, raw(100))
                .idb(LinkType.RAW, 300_000).epb(1, T0_MICROS + 1, 280_000, raw(280_000));
        Path in = Files.write(dir.resolve("jumbo.pcapng"), b.toByteArray());
        Path out = dir.resolve("out.pcap");
        CliRun run = CliRun.of("merge", in.toString(), "--format", "pcap", "-o", out.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("meshcap: " + out + ": a packet of 280000 bytes is longer than the snapshot length 262144 in the"
                + " pcap file header, written before its interface was known, and would be cut; write pcapng instead"
                + " (--format pcapng)", run.err().trim());
        assertFalse(Files.exists(out));
    }

    @Test
    void timesAfter2262AreRefusedWithTheirOffset() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb().idb(LinkType.RAW, 0, b.option(9, new byte[] {9})).epb(0, T0_MICROS * 1000, 40, udp());
        int late = b.size();
        b.epb(0, Long.MAX_VALUE + 1000L, 40, udp()); // 2^63 + 999 ns: year 2262 wrapped around
        Path file = Files.write(dir.resolve("late.pcapng"), b.toByteArray());
        CliRun run = CliRun.of("merge", file.toString(), "-o", dir.resolve("out.pcapng").toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("meshcap: " + file + ": offset " + (late + 12) + ": timestamp "), run.err());
        assertTrue(run.err().contains("2262"), run.err());

        // An if_tsoffset of -1 s puts a packet at time unit 0 before 1970, which cannot be held either.
        BlockBuilder early = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        early.shb().idb(LinkType.RAW, 0, early.longOption(14, -1));
        int packet = early.size();
        early.epb(0, 0, 40, udp());
        Path before = Files.write(dir.resolve("early.pcapng"), early.toByteArray());
        CliRun refused = CliRun.of("merge", before.toString(), "-o", dir.resolve("early-out.pcapng").toString());
        assertEquals(1, refused.exitCode(), refused::toString);
        assertTrue(refused.err().startsWith("meshcap: " + before + ": offset " + (packet + 12) + ": timestamp 0 "),
                refused.err());
    }

    @Test
    void aResolutionFinerThanA64BitCountIsRefusedWithItsOffset() throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb();
        int idb = b.size();
        b.idb(LinkType.RAW, 0, b.option(9, new byte[] {0x7f})).epb(0, 1, 40, udp());
        Path file = Files.write(dir.resolve("tsresol.pcapng"), b.toByteArray());
        CliRun run = CliRun.of("merge", file.toString(), "-o", dir.resolve("out.pcapng").toString());
        assertEquals(1, run.exitCode(), run::toString);
        // The option's value: after the IDB's 16 fixed bytes and the option's 4-byte header.
        assertTrue(run.err().startsWith("meshcap: " + file + ": offset " + (idb + 20) + ": if_tsresol 0x7f"), run.err());
    }

    /** capinfos' lines about one interface, without its time resolution (meshcap always writes nanoseconds). */
    private static List<String> interfaceInfo(String capinfos, int id) {
        List<String> lines = new ArrayList<>();
        boolean inside = false;
        for (String line : capinfos.lines().toList()) {
            if (line.startsWith("Interface #")) {
                inside = line.startsWith("Interface #" + id + " ");
            } else if (!line.startsWith(" ")) {
                inside = false;
            } else if (inside && !line.trim().startsWith("Time ")) {
                lines.add(line.trim());
            }
        }
        return lines;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            int j = 0;
            while (j < needle.length && haystack[i + j] == needle[j]) {
                j++;
            }
            if (j == needle.length) {
                return i;
            }
        }
        return -1;
    }

    enum Endian {
        LITTLE(ByteOrder.LITTLE_ENDIAN), BIG(ByteOrder.BIG_ENDIAN);

        final ByteOrder order;

        Endian(ByteOrder order) {
            this.order = order;
        }
    }
}
