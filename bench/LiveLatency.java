import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * Reads a pcapng stream on stdin as `wireshark -k -i -` would, and measures for each packet how long after its capture
 * time it arrived: arrival wall clock minus the packet's timestamp (same host, same clock; meshcap writes nanosecond
 * timestamps). Stops after SECONDS of packets and prints percentiles; exiting closes the pipe, which stops meshcap.
 *
 *   java bench/LiveLatency.java SECONDS
 */
public final class LiveLatency {
    public static void main(String[] args) throws IOException {
        long seconds = Long.parseLong(args[0]);
        DataInputStream in = new DataInputStream(System.in);
        long[] latencies = new long[1 << 20];
        int count = 0;
        long firstArrival = 0;
        try {
            while (true) {
                int type = Integer.reverseBytes(in.readInt());
                int length = Integer.reverseBytes(in.readInt());
                byte[] body = new byte[length - 8];
                in.readFully(body);
                if (type != 6) {
                    continue;
                }
                long now = System.currentTimeMillis() * 1_000_000L + System.nanoTime() % 1_000_000L;
                long high = Integer.toUnsignedLong(le(body, 4));
                long low = Integer.toUnsignedLong(le(body, 8));
                long stamp = (high << 32) | low;
                if (firstArrival == 0) {
                    firstArrival = System.nanoTime();
                }
                if (count == latencies.length) {
                    latencies = Arrays.copyOf(latencies, count * 2);
                }
                latencies[count++] = now - stamp;
                if (System.nanoTime() - firstArrival > seconds * 1_000_000_000L) {
                    break;
                }
            }
        } catch (EOFException end) {
            // meshcap ended first
        }
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        System.out.printf("%d %.1f %.1f %.1f %.1f%n", count, ms(sorted, 0.50), ms(sorted, 0.99), ms(sorted, 0.999),
                count == 0 ? 0 : sorted[count - 1] / 1e6);
        System.exit(0);
    }

    private static int le(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, quantile * sorted.length)] / 1e6;
    }
}
