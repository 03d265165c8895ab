import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a classic pcap (microseconds, little-endian, EN10MB: what tcpdump -i lo writes) of 400-byte TCP
 * packets in the shape of an Istio outbound lo leg: requests POD_IP:eph > 127.0.0.1:15001, replies
 * ORIG:8080 > POD_IP:eph, with valid IP and TCP checksums. Independent of meshcap's own writer on purpose.
 *
 * <p>Usage: {@code java bench/GenerateCapture.java OUT BYTES START_MICROS STEP_MICROS}
 */
public final class GenerateCapture {

    private static final int FRAME = 400;
    private static final int ETH = 14;
    private static final int IP = 20;
    private static final int TCP = 32;
    private static final int POD_IP = 0xc612000a;   // 198.18.0.10
    private static final int ORIG_IP = 0xc6130014;  // 198.19.0.20
    private static final int LOOPBACK = 0x7f000001;
    private static final int CONNECTIONS = 64;

    public static void main(String[] args) throws IOException {
        String out = args[0];
        long targetBytes = Long.parseLong(args[1]);
        long startMicros = Long.parseLong(args[2]);
        long stepMicros = Long.parseLong(args[3]);
        long packets = (targetBytes - 24) / (16 + FRAME);
        ByteBuffer record = ByteBuffer.allocate(16 + FRAME);
        try (OutputStream stream = new BufferedOutputStream(new FileOutputStream(out), 1 << 20)) {
            ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(262144).putInt(1);
            stream.write(header.array());
            for (long i = 0; i < packets; i++) {
                long micros = startMicros + i * stepMicros;
                record.clear();
                record.order(ByteOrder.LITTLE_ENDIAN);
                record.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(FRAME).putInt(FRAME);
                record.order(ByteOrder.BIG_ENDIAN);
                frame(record, i);
                stream.write(record.array());
            }
        }
    }

    private static void frame(ByteBuffer b, long i) {
        boolean request = (i & 1) == 0;
        int ephemeral = 32768 + (int) ((i >> 1) % CONNECTIONS);
        int src = request ? POD_IP : ORIG_IP;
        int dst = request ? LOOPBACK : POD_IP;
        int sport = request ? ephemeral : 8080;
        int dport = request ? 15001 : ephemeral;
        int base = b.position();
        b.put(new byte[12]).putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (FRAME - ETH)).putShort((short) i).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).putInt(src).putInt(dst);
        b.putShort(ip + 10, (short) checksum(b, ip, IP, 0));
        int tcp = b.position();
        b.putShort((short) sport).putShort((short) dport).putInt((int) (i * 334)).putInt((int) (i * 7))
                .put((byte) ((TCP / 4) << 4)).put((byte) 0x18).putShort((short) 512).putShort((short) 0).putShort((short) 0)
                .put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt((int) i).putInt((int) i - 1);
        while (b.position() < base + FRAME) {
            b.put((byte) ('a' + (b.position() % 26)));
        }
        int tcpLength = FRAME - ETH - IP;
        long pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcpLength;
        b.putShort(tcp + 16, (short) checksum(b, tcp, tcpLength, pseudo));
    }

    private static int checksum(ByteBuffer b, int from, int length, long initial) {
        long sum = initial;
        for (int at = from; at < from + length - 1; at += 2) {
            sum += b.getShort(at) & 0xffff;
        }
        if ((length & 1) != 0) {
            sum += (b.get(from + length - 1) & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
