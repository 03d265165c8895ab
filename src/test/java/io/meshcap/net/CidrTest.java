package io.meshcap.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.plan.BpfCompiler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        // input,             normalised,          changed, last address
        "192.168.0.0/12,      192.160.0.0/12,      true,  192.175.255.255",
        "192.160.0.0/12,      192.160.0.0/12,      false, 192.175.255.255",
        "10.96.0.1/12,        10.96.0.0/12,        true,  10.111.255.255",
        "0.0.0.0/0,           0.0.0.0/0,           false, 255.255.255.255",
        "8.8.8.8/0,           0.0.0.0/0,           true,  255.255.255.255",
        "198.18.0.7/32,       198.18.0.7/32,       false, 198.18.0.7",
        "198.18.0.7/31,       198.18.0.6/31,       true,  198.18.0.7",
        "fd00:1:2:3::/48,     fd00:1:2::/48,       true,  fd00:1:2:ffff:ffff:ffff:ffff:ffff",
        "fd00:1:2::/48,       fd00:1:2::/48,       false, fd00:1:2:ffff:ffff:ffff:ffff:ffff",
        "FD00:0:0:0:0:0:0:1/64, fd00::/64,         true,  fd00::ffff:ffff:ffff:ffff",
        "2001:2::5/128,       2001:2::5/128,       false, 2001:2::5",
        "::/0,                ::/0,                false, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8::1/0,       ::/0,                true,  ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8:abcd:12:1::/63, 2001:db8:abcd:12::/63, true, 2001:db8:abcd:13:ffff:ffff:ffff:ffff",
    })
    void normalisesToTheNetworkAddress(String input, String normalised, boolean changed, String last) {
        Cidr cidr = Cidr.parse(input);
        assertEquals(normalised, cidr.toString());
        assertEquals(changed, cidr.changed());
        assertEquals(last, Addresses.format(cidr.lastAddress()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"192.168.0.0/12", "fd00:1:2:3::/48", "10.96.0.1/12", "2001:db8::1/0", "198.18.0.7/31"})
    void libpcapRejectsTheInputButAcceptsTheNormalisedForm(String input) {
        assertThrows(MeshcapException.class, () -> BpfCompiler.check("net " + input, "test"));
        BpfCompiler.check("net " + Cidr.parse(input), "test");
    }

    @ParameterizedTest
    @ValueSource(strings = {"300.1.1.1/8", "10.0.0.0/33", "banana", "banana/8", "10.0.0.0", "10.0.0.0/", "10.0.0/8",
        "10.0.0.0/-1", "fd00::/129", "fd00::zz/64", "fe80::1%eth0/64", "1.2.3.4.5/32", "::ffff:1.2.3.4.5/96", "/24",
        "example.com/24", "10.0.0.0/8/8"})
    void rejectsInvalidInputWithAUsageError(String input) {
        MeshcapException error = assertThrows(MeshcapException.class, () -> Cidr.parse(input));
        assertEquals(MeshcapException.Kind.USAGE, error.kind());
        assertTrue(error.getMessage().startsWith("invalid CIDR '" + input + "'"), error.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"192.168.0.0/12, 1048576 addresses", "10.0.0.1/32, 1 address)", "fd00::/48, 2^80 addresses"})
    void explainsTheRangeCovered(String input, String expected) {
        assertTrue(Cidr.parse(input).explain().contains(expected), Cidr.parse(input).explain());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "fd00::/8"})
    void anUnchangedNetworkSaysSo(String input) {
        assertFalse(Cidr.parse(input).changed());
        assertTrue(Cidr.parse(input).explain().contains("already a network address"));
    }
}
