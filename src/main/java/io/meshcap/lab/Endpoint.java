package io.meshcap.lab;

import io.meshcap.net.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * An IP address and port as one endpoint of a connection saw it. The address is in the text form tshark and
 * {@code ip} print (dotted quad, or RFC 5952 compressed IPv6), so tests can compare it with capture fields directly.
 */
public record Endpoint(String address, int port) {

    public static Endpoint of(InetSocketAddress socketAddress) {
        return new Endpoint(Addresses.format(socketAddress.getAddress()), socketAddress.getPort());
    }

    public static Endpoint of(InetAddress address, int port) {
        return new Endpoint(Addresses.format(address), port);
    }

    @Override
    public String toString() {
        return address.contains(":") ? "[" + address + "]:" + port : address + ":" + port;
    }
}
