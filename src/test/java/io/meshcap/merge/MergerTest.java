package io.meshcap.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.format.BlockBuilder;
import io.meshcap.format.CaptureFormats;
import io.meshcap.format.CaptureInterface;
import io.meshcap.format.CaptureRecord;
import io.meshcap.format.CaptureWriter;
import io.meshcap.format.LinkType;
import io.meshcap.format.OutputFormat;
import io.meshcap.format.ReadBack;
import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.Tshark;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergerTest {

    private static final long T0 = 1_795_333_790_000_000_000L;

    @TempDir
    Path dir;

    private List<InputSummary> merge(List<MergeInput> inputs, Path out, int fanIn, RecordTransform transform) {
        try (CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "meshcap test")) {
            return new Merger(dir, fanIn).merge(inputs, writer, transform);
        }
    }

    /** A pcapng input with one interface and records at the given offsets from T0 (in microseconds). */
    private Path input(String name, int linkType, long... micros) {
        Path file = dir.resolve(name);
        try (CaptureWriter writer = CaptureFormats.create(file, OutputFormat.PCAPNG, "test input")) {
            writer.addInterface(new CaptureInterface(linkType, 0, null, null));
            for (long us : micros) {
                byte[] data = new byte[20 + (int) (us % 50)];
                data[0] = 0x45;
                writer.write(new CaptureRecord(0, T0 + us * 1000, data.length, data).plusComment(name + "@" + us));
            }
        }
        return file;
    }

    @Test
    void interleavedRealCapturesComeOutInTimeOrderAsMergecapOrdersThem() throws Exception {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        int packets = 40;
        try (LoopbackCapture ca = LoopbackCapture.udp(a, packets);
             LoopbackCapture cb = LoopbackCapture.udp(b, packets, "--time-stamp-precision", "nano")) {
            for (int i = 0; i < packets; i++) {
                LoopbackCapture.send(i % 3 == 0 ? cb.port() : ca.port(), 10 + i);
                LoopbackCapture.send(i % 3 == 0 ? ca.port() : cb.port(), 10 + i);
            }
        }
        Path out = dir.resolve("merged.pcapng");
        List<InputSummary> summaries = merge(List.of(
                new MergeInput(a, "reviews-v1-abc/lo", "namespace=bookinfo pod=reviews-v1-abc interface=lo"),
                MergeInput.of(b)), out, 64, RecordTransform.NONE);

        // Judged against what tcpdump really captured, which a loaded machine may leave a datagram short of.
        int inA = Tshark.count(a);
        int inB = Tshark.count(b);
        assertTrue(inA > packets / 2 && inB > packets / 2, inA + " and " + inB + " packets captured");
        List<Tshark.Frame> merged = Tshark.frames(out);
        assertEquals(inA + inB, merged.size());
        assertEquals(inA + inB, Tshark.capinfosCount(out));
        for (int i = 1; i < merged.size(); i++) {
            assertTrue(merged.get(i - 1).timestampNanos() <= merged.get(i).timestampNanos(), "time order at " + i);
        }
        // Each leg keeps its packets, in order, under its own interface.
        assertEquals(projection(Tshark.frames(a)), projection(merged.stream()
                .filter(f -> "reviews-v1-abc/lo".equals(f.interfaceName())).toList()));
        assertEquals(projection(Tshark.frames(b)), projection(merged.stream()
                .filter(f -> "b.pcap".equals(f.interfaceName())).toList()));
        assertEquals("namespace=bookinfo pod=reviews-v1-abc interface=lo", merged.stream()
                .filter(f -> "reviews-v1-abc/lo".equals(f.interfaceName())).findFirst().orElseThrow()
                .interfaceDescription());
        // mergecap puts the same packets in the same order.
        Path reference = dir.resolve("mergecap.pcapng");
        Tshark.run("mergecap", "-w", reference.toString(), a.toString(), b.toString());
        assertEquals(projection(Tshark.frames(reference)), projection(merged));

        assertEquals(inA, summaries.get(0).packets());
        assertEquals(merged.stream().filter(f -> f.interfaceName().equals("b.pcap"))
                .mapToLong(Tshark.Frame::capturedLength).sum(), summaries.get(1).bytes());
        assertTrue(summaries.get(0).describe().startsWith("reviews-v1-abc/lo (" + a + ", pcap): " + inA + " packets, "),
                summaries.get(0).describe());
    }

    private static List<String> projection(List<Tshark.Frame> frames) {
        return frames.stream().map(f -> f.timestampNanos() + "/" + f.originalLength()).toList();
    }

    @Test
    void equalTimestampsGoInInputOrder() {
        Path first = input("first.pcapng", LinkType.RAW, 1, 5, 5, 9);
        Path second = input("second.pcapng", LinkType.RAW, 0, 5, 9);
        Path third = input("third.pcapng", LinkType.EN10MB, 5, 9);
        Path out = dir.resolve("ties.pcapng");
        merge(Stream.of(first, second, third).map(MergeInput::of).toList(), out, 64, RecordTransform.NONE);
        List<String> comments = Tshark.frames(out).stream().map(Tshark.Frame::comment).toList();
        assertEquals(List.of("second.pcapng@0", "first.pcapng@1",
                "first.pcapng@5", "first.pcapng@5", "second.pcapng@5", "third.pcapng@5",
                "first.pcapng@9", "second.pcapng@9", "third.pcapng@9"), comments);

        // Five inputs whose packets all tie: the heap's own order is not input order (mergecap's puts the last first).
        List<MergeInput> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(MergeInput.of(input("in" + i + ".pcapng", LinkType.RAW, 5, 7)));
        }
        Path allTied = dir.resolve("all-tied.pcapng");
        merge(five, allTied, 64, RecordTransform.NONE);
        assertEquals(List.of("in0.pcapng@5", "in1.pcapng@5", "in2.pcapng@5", "in3.pcapng@5", "in4.pcapng@5",
                "in0.pcapng@7", "in1.pcapng@7", "in2.pcapng@7", "in3.pcapng@7", "in4.pcapng@7"),
                Tshark.frames(allTied).stream().map(Tshark.Frame::comment).toList());
    }

    @Test
    void moreInputsThanTheFanInGoThroughSpillFilesInMergecapsOrder() throws IOException {
        List<MergeInput> inputs = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            long[] times = {i % 3, 10 - i, 10, 20 + i};
            Arrays.sort(times);
            Path file = input("in" + i + ".pcapng", i == 4 ? LinkType.EN10MB : LinkType.RAW, times);
            paths.add(file.toString());
            inputs.add(new MergeInput(file, i % 2 == 0 ? "leg" + i : null, i == 1 ? "described" : null));
        }
        Path spilled = dir.resolve("spilled.pcapng");
        List<InputSummary> summaries = merge(inputs, spilled, 2, RecordTransform.NONE);

        assertEquals(List.of(4L, 4L, 4L, 4L, 4L, 4L, 4L), summaries.stream().map(InputSummary::packets).toList(),
                "summaries describe the user's inputs, not spill files");
        Path mergecap = dir.resolve("mergecap.pcapng");
        List<String> command = new ArrayList<>(List.of("mergecap", "-w", mergecap.toString()));
        command.addAll(paths);
        Tshark.run(command);
        // mergecap puts equal timestamps last input first; meshcap in input order (a stable sort says so).
        List<Tshark.Frame> expected = Tshark.frames(mergecap).stream()
                .sorted(Comparator.comparingLong(Tshark.Frame::timestampNanos).thenComparing(MergerTest::inputOf))
                .toList();
        List<Tshark.Frame> actual = Tshark.frames(spilled);
        assertEquals(28, expected.size());
        assertEquals(expected.stream().map(f -> f.comment() + " " + f.timestampNanos()).toList(),
                actual.stream().map(f -> f.comment() + " " + f.timestampNanos()).toList(), "mergecap's order");
        for (Tshark.Frame frame : actual) {
            int input = inputOf(frame);
            assertEquals(input % 2 == 0 ? "leg" + input : "in" + input + ".pcapng", frame.interfaceName(), frame.toString());
            assertEquals(input == 1 ? "described" : null, frame.interfaceDescription(), frame.toString());
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(),
                    "spill files are deleted");
        }
    }

    /** The input a record came from: its comment is {@code inN.pcapng@TIME}. */
    private static int inputOf(Tshark.Frame frame) {
        return Integer.parseInt(frame.comment().substring(2, frame.comment().indexOf('.')));
    }

    /**
     * Under {@code ulimit -n 64}, with what a JVM running meshcap has open (its modules file, the standard streams,
     * a few jars), most of the limit is left for inputs, so 100 inputs take a few spill files, not a binary tree of
     * them; and merging with that fan-in gives what merging them all at once gives.
     */
    @Test
    void aLowOpenFileLimitLeavesMostOfItForInputs() {
        int fanIn = Merger.fanIn(64, 12);
        assertTrue(fanIn >= 32, "fan-in " + fanIn);
        assertEquals(2, Merger.fanIn(20, 12), "never below two inputs at once");
        List<MergeInput> inputs = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            inputs.add(MergeInput.of(input("in" + i + ".pcapng", LinkType.RAW, i % 7, 50 + i)));
        }
        Path spilled = dir.resolve("spilled.pcapng");
        merge(inputs, spilled, fanIn, RecordTransform.NONE);
        // Input i holds "ini.pcapng@(i % 7)" and "ini.pcapng@(50 + i)": in time order, ties in input order.
        List<String> expected = new ArrayList<>();
        for (int t = 0; t < 7; t++) {
            for (int i = t; i < 100; i += 7) {
                expected.add("in" + i + ".pcapng@" + t);
            }
        }
        for (int i = 0; i < 100; i++) {
            expected.add("in" + i + ".pcapng@" + (50 + i));
        }
        assertEquals(expected, Tshark.frames(spilled).stream().map(Tshark.Frame::comment).toList());
    }

    /** An input with secrets, names, a custom block and statistics around two packets at {@code micros} and +10. */
    private Path inputWithBlocks(String name, long micros) throws IOException {
        BlockBuilder b = new BlockBuilder(ByteOrder.LITTLE_ENDIAN);
        b.shb(b.option(1, "section of " + name)).idb(LinkType.RAW, 0, b.option(2, name), b.option(12, "Linux"));
        b.dsb(0x544c534b, ("CLIENT_RANDOM " + name + "\n").getBytes(StandardCharsets.US_ASCII));
        b.nrbIpv4(new byte[] {(byte) 198, 18, 0, 9}, name + ".test");
        b.epb(0, T0 / 1000 + micros, 20, new byte[20]);
        b.custom(true, 32473, name.getBytes(StandardCharsets.US_ASCII));
        b.epb(0, T0 / 1000 + micros + 10, 20, new byte[20]);
        b.idb(LinkType.EN10MB, 0, b.option(2, name + "-idle"));
        b.isb(0, T0 / 1000 + micros + 20, b.longOption(4, 2));
        return Files.write(dir.resolve(name), b.toByteArray());
    }

    @Test
    void spillFilesCarryEveryBlockAndTheSameFileComesOut() throws IOException {
        List<MergeInput> inputs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inputs.add(MergeInput.of(inputWithBlocks("in" + i + ".pcapng", i * 3)));
        }
        Path direct = dir.resolve("direct.pcapng");
        Path spilled = dir.resolve("spilled.pcapng");
        merge(inputs, direct, 64, RecordTransform.NONE);
        merge(inputs, spilled, 2, RecordTransform.NONE);
        // Wireshark's pcapng file dissector lists every block with its fields: the two files hold the same.
        String[] fields = {"pcapng.block.type", "pcapng.interface_id", "pcapng.timestamp", "pcapng.dsb.secrets_data",
            "pcapng.records.record.data.name", "pcapng.options.option.data.interface.name",
            "pcapng.options.option.data.interface.os", "pcapng.options.option.data.comment",
            "pcapng.options.option.data.interface.received"};
        List<List<String>> blocks = Tshark.fields(direct, null, "frame.number"); // one frame per packet or custom block
        assertEquals(15, blocks.size());
        assertEquals(fileBlocks(direct, fields), fileBlocks(spilled, fields));
        // Every input's statistics block (type 5) is kept, not only compared between the two files.
        assertEquals(5, Arrays.stream(fileBlocks(direct, "pcapng.block.type").strip().split("\\|"))
                .filter("0x00000005"::equals).count());
        String capinfos = Tshark.run("capinfos", "-I", direct.toString());
        assertTrue(capinfos.contains("Number of interfaces in file: 10"), capinfos);
        assertTrue(Tshark.run("capinfos", direct.toString()).contains("Number of decryption secrets in file: 5"));
    }

    private static String fileBlocks(Path file, String... fields) {
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(),
                "-X", "read_format:MIME Files Format", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|"));
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        return Tshark.run(argv);
    }

    @Test
    void transformHookRewritesDropsAndAddsRecords() {
        Path in = input("in.pcapng", LinkType.RAW, 1, 2, 3);
        Path out = dir.resolve("transformed.pcapng");
        List<String> seenInterfaces = new ArrayList<>();
        merge(List.of(new MergeInput(in, "leg", null)), out, 64, (iface, record) -> {
            seenInterfaces.add(iface.name());
            long us = (record.timestampNanos() - T0) / 1000;
            if (us == 2) {
                return List.of();
            }
            if (us == 3) {
                return List.of(record, record.plusComment("duplicate"));
            }
            return List.of(record.plusComment("meshcap: rewrote"));
        });
        assertEquals(List.of("leg", "leg", "leg"), seenInterfaces);
        // Comments are added after those the packet has, each its own.
        assertEquals(List.of("in.pcapng@1\nmeshcap: rewrote", "in.pcapng@3", "in.pcapng@3\nduplicate"),
                Tshark.frames(out).stream().map(Tshark.Frame::comment).toList());
    }

    /**
     * Re-association declares an interface of its own on the output when it first rewrites a packet: an interface an
     * input defines later then gets the id after it, and the transform is still handed the right interface.
     */
    @Test
    void aTransformMayDeclareAnInterfaceOfItsOwnBeforeAnInputsLaterOne() throws IOException {
        Path multi = dir.resolve("late-interface.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(multi, OutputFormat.PCAPNG, "t")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "eth0", null));
            writer.write(new CaptureRecord(0, T0, 14, new byte[14]));
            writer.addInterface(new CaptureInterface(LinkType.LINUX_SLL, 0, "lo", null));
            writer.write(new CaptureRecord(1, T0 + 1, 16, new byte[16]));
        }
        Path out = dir.resolve("own-interface.pcapng");
        List<String> seen = new ArrayList<>();
        try (CaptureWriter writer = CaptureFormats.create(out, OutputFormat.PCAPNG, "t")) {
            int[] own = {-1};
            new Merger(dir).merge(List.of(MergeInput.of(multi)), writer, (iface, record) -> {
                seen.add(iface.name() + "@" + record.interfaceId());
                if (own[0] >= 0) {
                    return List.of(record);
                }
                own[0] = writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "eth0 (own)", null));
                return List.of(record.withInterfaceId(own[0]));
            });
        }
        assertEquals(List.of("eth0@0", "lo@2"), seen);
        assertEquals(List.of("eth0", "eth0 (own)", "lo"),
                ReadBack.interfaces(out).stream().map(CaptureInterface::name).toList());
        assertEquals(List.of("eth0 (own)", "lo"),
                Tshark.frames(out).stream().map(Tshark.Frame::interfaceName).toList());
    }

    @Test
    void interfacesAreLabelledPerInput() throws IOException {
        // An input with two interfaces, the second (nameless) defined after the first packet: when the first
        // was labelled, the input looked single-interface, so it got the plain label.
        Path multi = dir.resolve("multi.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(multi, OutputFormat.PCAPNG, "t")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "eth0", "pod eth0"));
            writer.write(new CaptureRecord(0, T0, 14, new byte[14]));
            writer.addInterface(new CaptureInterface(LinkType.LINUX_SLL, 0, null, null));
            writer.write(new CaptureRecord(1, T0 + 1, 16, new byte[16]));
        }
        Path single = input("single.pcapng", LinkType.RAW, 0);
        Path out = dir.resolve("labelled.pcapng");
        merge(List.of(new MergeInput(multi, "reviews", null), MergeInput.of(multi),
                new MergeInput(single, "ratings/eth0", "k8s metadata"), MergeInput.of(single)), out, 64,
                RecordTransform.NONE);
        List<CaptureInterface> interfaces = ReadBack.interfaces(out);
        assertEquals(List.of("reviews", "eth0", "ratings/eth0", "single.pcapng", "reviews/if1", "multi.pcapng/if1"),
                interfaces.stream().map(CaptureInterface::name).toList());
        assertEquals("pod eth0", interfaces.get(0).description());
        assertEquals("k8s metadata", interfaces.get(2).description());
        assertNull(interfaces.get(3).description());
        assertEquals(LinkType.LINUX_SLL, interfaces.get(4).linkType());
        assertEquals(List.of("reviews", "eth0", "ratings/eth0", "single.pcapng", "reviews/if1", "multi.pcapng/if1"),
                Tshark.frames(out).stream().map(Tshark.Frame::interfaceName).toList());
    }

    @Test
    void anInputWithTwoInterfacesFromItsStartNamesBothUnderItsLeg() {
        Path node = dir.resolve("node.pcapng");
        try (CaptureWriter writer = CaptureFormats.create(node, OutputFormat.PCAPNG, "t")) {
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, "eth0", null));
            writer.addInterface(new CaptureInterface(LinkType.EN10MB, 0, null, null));
            writer.write(new CaptureRecord(1, T0, 14, new byte[14]));
            writer.write(new CaptureRecord(0, T0 + 1, 14, new byte[14]));
        }
        Path out = dir.resolve("node-labelled.pcapng");
        merge(List.of(new MergeInput(node, "node", null)), out, 64, RecordTransform.NONE);
        assertEquals(List.of("node/if1", "node/eth0"),
                Tshark.frames(out).stream().map(Tshark.Frame::interfaceName).toList());
    }

    @Test
    void truncatedInputIsSummarisedAndItsWholeRecordsKept() throws IOException {
        Path whole = input("whole.pcapng", LinkType.RAW, 1, 2, 3);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.pcapng"), Arrays.copyOf(bytes, bytes.length - 10));
        Path out = dir.resolve("out.pcapng");
        List<InputSummary> summaries = merge(List.of(MergeInput.of(cut)), out, 64, RecordTransform.NONE);
        assertEquals(2, summaries.get(0).packets());
        assertTrue(summaries.get(0).truncation().orElseThrow().contains("the 2 records before it were kept"));
        assertEquals(2, Tshark.capinfosCount(out));
    }

    @Test
    void damagedInputNamesTheFile() throws IOException {
        Path good = input("good.pcapng", LinkType.RAW, 1);
        Path bad = Files.writeString(dir.resolve("bad.pcap"), "garbage garbage garbage");
        MeshcapException e = assertThrows(MeshcapException.class, () -> merge(
                List.of(MergeInput.of(good), MergeInput.of(bad)), dir.resolve("o.pcapng"), 64, RecordTransform.NONE));
        assertTrue(e.getMessage().startsWith(bad + ": offset 0: not a pcap or pcapng file"), e.getMessage());
    }
}
