package io.meshcap.reassoc;

import io.meshcap.sys.NamespaceThread;
import io.meshcap.sys.NetworkNamespace;
import io.meshcap.testing.HttpMessage;
import io.meshcap.testing.LoopbackCapture;
import io.meshcap.testing.OpensslTls;
import io.meshcap.testing.ScratchNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar pod's four legs with real mTLS, built from OpenSSL and small Java stand-ins, for tests of joins by
 * content until the lab speaks mTLS: a pod and a mesh namespace joined by a veth ({@code eth0} in both), tcpdump on
 * the pod's lo and eth0.
 *
 * <ul>
 *   <li>Outbound: the app connects from the pod address to a Service address on the pod's lo, where the outbound
 *       stand-in sidecar listens (after re-association a real capture shows the same {@code POD_IP:eph >
 *       ORIG:port} on lo). The stand-in rewrites each request as Envoy does (lower-case names, {@code host} first,
 *       x-forwarded-proto and a new x-request-id added, hop-by-hop fields dropped) and sends every call of every app
 *       connection over one pooled {@code openssl s_client} mTLS connection to an {@code s_server} in the mesh.</li>
 *   <li>Inbound: a mesh client ({@code s_client}, as a remote sidecar, with x-request-ids) calls the pod address;
 *       Istio's REDIRECT to 15006 takes it to an {@code s_server} standing in for the inbound listener, and the
 *       stand-in forwards each request on a new connection from 127.0.0.6 to the app.</li>
 * </ul>
 * The pod's own TLS endpoints log their secrets to one key log, as Envoy's {@code key_log} does; the mesh's go
 * elsewhere.
 */
final class OpensslMesh implements AutoCloseable {

    static final String POD_IP = "198.18.0.2";
    static final String MESH_IP = "198.18.0.1";
    /** The upstream Service's address as the app calls it; the endpoint behind it is {@link #MESH_IP}. */
    static final String SERVICE_IP = "198.18.0.9";
    static final int UPSTREAM_PORT = 9080;
    static final int APP_PORT = 8080;
    private static final int INBOUND_CAPTURE_PORT = 15006;
    private static final String ENVOY_INBOUND_SOURCE = "127.0.0.6";
    private static final String PREFIX = "/24";
    private static final long TIMEOUT_SECONDS = 120;
    private static final long POLL_MILLIS = 20;
    private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive");

    /**
     * One call as the fixture made it, the ledger tests judge against.
     *
     * @param direction  {@code outbound} or {@code inbound}
     * @param plainLeg   the lo connection's client endpoint: the app's (outbound) or the inbound stand-in's
     * @param request    method and target
     * @param requestId  the x-request-id both legs carried (outbound: the stand-in's, unless the app sent one)
     */
    record Call(String direction, String plainLeg, String request, String requestId) {
    }

    private final Path dir;
    private final ScratchNamespace pod;
    private final ScratchNamespace mesh;
    private final OpensslTls.Pki pki;
    private final Path podKeys;
    private final Path meshKeys;
    private final LoopbackCapture lo;
    private final LoopbackCapture eth0;
    private final NamespaceThread podThread;
    private final List<Process> processes = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private Process upstream;
    private ServerSocket app;
    private ServerSocket outboundListener;

    private OpensslMesh(Path dir) throws IOException {
        this.dir = dir;
        pki = OpensslTls.pki(dir);
        podKeys = dir.resolve("pod-sidecar.keys");
        meshKeys = dir.resolve("mesh.keys");
        pod = ScratchNamespace.create("mcpod", 65536);
        mesh = ScratchNamespace.create("mcmesh", 65536);
        ScratchNamespace.connect(pod, POD_IP + PREFIX, mesh, MESH_IP + PREFIX);
        pod.run("ip", "addr", "add", SERVICE_IP + "/32", "dev", "lo");
        pod.run("iptables", "-t", "nat", "-A", "PREROUTING", "-i", "eth0", "-p", "tcp", "--dport",
                Integer.toString(APP_PORT), "-j", "REDIRECT", "--to-ports", Integer.toString(INBOUND_CAPTURE_PORT));
        podThread = NamespaceThread.enter(NetworkNamespace.named(pod.name()));
        lo = LoopbackCapture.inNamespace(pod.name(), "lo", dir.resolve("lo.pcap"), "tcp");
        eth0 = LoopbackCapture.inNamespace(pod.name(), "eth0", dir.resolve("eth0.pcap"), "tcp");
    }

    /** Namespaces, certificates, captures, the app and the upstream server, all running. */
    static OpensslMesh start(Path dir) throws Exception {
        OpensslMesh mesh = new OpensslMesh(dir);
        try {
            mesh.startApp();
            mesh.startOutboundSidecar();
        } catch (Exception | AssertionError e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    Path podKeys() {
        return podKeys;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    /**
     * The app makes one outbound connection and sends {@code requests} on it one after the other, each once the
     * previous one's response is in.
     */
    void outbound(List<HttpMessage> requests) throws Exception {
        try (Socket socket = podThread.call(() -> {
            Socket connected = new Socket();
            connected.bind(new InetSocketAddress(InetAddress.getByName(POD_IP), 0));
            connected.connect(new InetSocketAddress(InetAddress.getByName(SERVICE_IP), UPSTREAM_PORT));
            return connected;
        })) {
            for (HttpMessage request : requests) {
                request.writeTo(socket.getOutputStream());
                HttpMessage response = HttpMessage.read(socket.getInputStream());
                calls.add(new Call("outbound", POD_IP + ":" + socket.getLocalPort(), line(request),
                        response.header("x-request-id-seen")));
            }
        }
    }

    /**
     * A mesh client opens one mTLS connection to the pod and sends {@code requests} on it, each with its own
     * x-request-id; the pod's inbound stand-in logs its secrets only when {@code keyLogged}.
     */
    void inbound(List<HttpMessage> requests, boolean keyLogged) throws Exception {
        Process listener = start(OpensslTls.serverArgv(pod, pki, Integer.toString(INBOUND_CAPTURE_PORT),
                keyLogged ? podKeys : null, "-naccept", "1", "-quiet"));
        Thread sidecar = new Thread(() -> relayInbound(listener), "inbound-sidecar");
        sidecar.setDaemon(true);
        sidecar.start();
        Process client = startWhenListening(OpensslTls.clientArgv(mesh, pki, POD_IP + ":" + APP_PORT, meshKeys,
                "-quiet", "-servername", "outbound_." + APP_PORT + "_._.app.lab.svc.cluster.local", "-alpn",
                "istio-peer-exchange,istio"), pod, INBOUND_CAPTURE_PORT);
        for (HttpMessage request : requests) {
            String requestId = UUID.randomUUID().toString();
            List<String> headers = new ArrayList<>(request.headers());
            headers.add("x-request-id: " + requestId);
            headers.add("x-forwarded-proto: http");
            request.withHeaders(headers).writeTo(client.getOutputStream());
            HttpMessage response = HttpMessage.read(client.getInputStream());
            calls.add(new Call("inbound", response.header("x-app-peer"), line(request), requestId));
        }
        client.destroy();
        client.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        listener.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        sidecar.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    }

    /** Stops the traffic, then the captures once they have written everything. */
    void finish() throws Exception {
        stopProcesses();
        lo.close();
        eth0.close();
    }

    Path loCapture() {
        return dir.resolve("lo.pcap");
    }

    Path eth0Capture() {
        return dir.resolve("eth0.pcap");
    }

    @Override
    public void close() throws Exception {
        stopProcesses();
        podThread.close();
        for (AutoCloseable closeable : new AutoCloseable[] {lo, eth0, pod, mesh}) {
            try {
                closeable.close();
            } catch (Exception | AssertionError e) {
                // Already stopped by finish(), or failing while the test fails for another reason.
            }
        }
    }

    private void stopProcesses() throws Exception {
        for (ServerSocket listener : new ServerSocket[] {app, outboundListener}) {
            if (listener != null) {
                listener.close();
            }
        }
        for (Process process : processes) {
            process.destroy();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** The app: answers every request on every connection, saying who called and which request ID it saw. */
    private void startApp() throws IOException {
        app = podThread.call(() -> new ServerSocket(APP_PORT, 50, InetAddress.getByName(POD_IP)));
        daemon("app", () -> {
            while (!app.isClosed()) {
                Socket peer = app.accept();
                daemon("app-connection", () -> {
                    try (peer) {
                        for (HttpMessage request = HttpMessage.read(peer.getInputStream()); request != null;
                             request = HttpMessage.read(peer.getInputStream())) {
                            HttpMessage.ok("hello from the app").withHeaders(List.of("content-length: 18",
                                    "x-app-peer: " + peer.getInetAddress().getHostAddress() + ":" + peer.getPort()))
                                    .writeTo(peer.getOutputStream());
                        }
                    }
                    return null;
                });
            }
            return null;
        });
    }

    /**
     * The upstream server in the mesh behind one mTLS connection, and the outbound stand-in sidecar that sends
     * every app connection's calls over it.
     */
    private void startOutboundSidecar() throws Exception {
        upstream = start(OpensslTls.serverArgv(mesh, pki, MESH_IP + ":" + UPSTREAM_PORT, meshKeys, "-naccept", "1",
                "-quiet"));
        daemon("upstream", () -> {
            InputStream requests = upstream.getInputStream();
            for (HttpMessage request = HttpMessage.read(requests); request != null;
                 request = HttpMessage.read(requests)) {
                HttpMessage.ok("hello from upstream").withHeaders(List.of("content-length: 19",
                        "x-request-id-seen: " + request.header("x-request-id"))).writeTo(upstream.getOutputStream());
            }
            return null;
        });
        outboundListener = podThread.call(() -> new ServerSocket(UPSTREAM_PORT, 50, InetAddress.getByName(SERVICE_IP)));
        daemon("outbound-sidecar", () -> {
            Process pooled = null;
            while (!outboundListener.isClosed()) {
                try (Socket app = outboundListener.accept()) {
                    for (HttpMessage request = HttpMessage.read(app.getInputStream()); request != null;
                         request = HttpMessage.read(app.getInputStream())) {
                        if (pooled == null) {
                            // Envoy connects upstream when the first call needs it, then keeps the connection.
                            pooled = startWhenListening(OpensslTls.clientArgv(pod, pki, MESH_IP + ":" + UPSTREAM_PORT,
                                    podKeys, "-quiet", "-servername", "outbound_." + UPSTREAM_PORT
                                            + "_._.upstream.lab.svc.cluster.local", "-alpn", "istio-peer-exchange,istio"),
                                    mesh, UPSTREAM_PORT);
                        }
                        envoyRewrite(request).writeTo(pooled.getOutputStream());
                        HttpMessage.read(pooled.getInputStream()).writeTo(app.getOutputStream());
                    }
                }
            }
            return null;
        });
    }

    /** The inbound stand-in: each request from the TLS listener goes to the app on a new connection from 127.0.0.6. */
    private void relayInbound(Process listener) {
        try {
            InputStream requests = listener.getInputStream();
            OutputStream responses = listener.getOutputStream();
            for (HttpMessage request = HttpMessage.read(requests); request != null;
                 request = HttpMessage.read(requests)) {
                try (Socket toApp = podThread.call(() -> {
                    Socket connected = new Socket();
                    connected.bind(new InetSocketAddress(InetAddress.getByName(ENVOY_INBOUND_SOURCE), 0));
                    connected.connect(new InetSocketAddress(InetAddress.getByName(POD_IP), APP_PORT));
                    return connected;
                })) {
                    List<String> headers = new ArrayList<>(request.headers());
                    headers.add("x-forwarded-client-cert: By=spiffe://cluster.local/ns/lab/sa/app;"
                            + "URI=spiffe://cluster.local/ns/lab/sa/client");
                    request.withHeaders(headers).writeTo(toApp.getOutputStream());
                    HttpMessage.read(toApp.getInputStream()).writeTo(responses);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("the inbound stand-in failed", e);
        }
    }

    /**
     * What Envoy's HTTP/1 codec makes of an app's request: {@code host} first, every name in lower case, hop-by-hop
     * fields dropped, x-forwarded-proto and (unless the app sent one) a fresh x-request-id added.
     */
    private static HttpMessage envoyRewrite(HttpMessage request) {
        List<String> headers = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String header : request.headers()) {
            int colon = header.indexOf(':');
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String field = name + ": " + header.substring(colon + 1).trim();
            if (name.equals("host")) {
                headers.add(field);
            } else if (!HOP_BY_HOP.contains(name)) {
                rest.add(field);
            }
        }
        headers.addAll(rest);
        headers.add("x-forwarded-proto: http");
        if (request.header("x-request-id") == null) {
            headers.add("x-request-id: " + UUID.randomUUID());
        }
        headers.add("x-envoy-decorator-operation: upstream.lab.svc.cluster.local:" + UPSTREAM_PORT + "/*");
        return request.withHeaders(headers);
    }

    private Process start(List<String> argv) throws IOException {
        Process process = new ProcessBuilder(argv).redirectError(dir.resolve("openssl-" + processes.size() + ".err")
                .toFile()).start();
        processes.add(process);
        return process;
    }

    /** Starts a client once {@code namespace} listens on {@code port}, so that it never meets a refused connection. */
    private Process startWhenListening(List<String> argv, ScratchNamespace namespace, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!namespace.run("ss", "-Htln", "sport = :" + port).contains(":" + port)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing listens on port " + port + " in " + namespace.name());
            }
            Thread.sleep(POLL_MILLIS);
        }
        return start(argv);
    }

    private static String line(HttpMessage request) {
        String[] parts = request.start().split(" ");
        return parts[0] + " " + parts[1];
    }

    @FunctionalInterface
    private interface Work {
        Object run() throws Exception;
    }

    private static void daemon(String name, Work work) {
        Thread thread = new Thread(() -> {
            try {
                work.run();
            } catch (Exception e) {
                // A listener closed at the end of the test, or a peer that went away: the captures tell the rest.
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }
}
