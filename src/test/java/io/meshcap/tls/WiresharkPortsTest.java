package io.meshcap.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshcap.testing.Tshark;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** meshcap's table of the ports Wireshark gives to other protocols is the installed Wireshark's own. */
class WiresharkPortsTest {

    @Test
    void everyTcpPortTsharkDissectsAsAnotherProtocolThanTlsIsInTheTableAndNoOther() {
        Map<Integer, String> tshark = new TreeMap<>();
        Tshark.run("tshark", "-G", "decodes").lines().map(line -> line.split("\t"))
                .filter(row -> row[0].equals("tcp.port") && !row[2].equals("tls"))
                .forEach(row -> tshark.put(Integer.parseInt(row[1]), row[2]));
        Map<Integer, String> meshcap = IntStream.rangeClosed(0, 65535).boxed()
                .filter(port -> WiresharkPorts.bundled().protocolOf(port).isPresent())
                .collect(Collectors.toMap(port -> port, port -> WiresharkPorts.bundled().protocolOf(port).orElseThrow(),
                        (a, b) -> a, TreeMap::new));
        assertEquals(tshark, meshcap);
    }
}
