package io.meshcap.plan;

/** Which libpcap compiles a leg's filter before the capture uses it. */
public enum FilterCheck {

    /** This machine's, before anything starts: always for captures here, and for a cluster when it is installed. */
    HERE,
    /**
     * tcpdump's where the capture runs (a pod), which rejects a bad filter in libpcap's words as it starts: a capture
     * in a cluster needs nothing on this machine but the Java runtime.
     */
    WHERE_IT_RUNS;

    /** For a capture in a cluster: here when this machine has libpcap, else where it runs. */
    public static FilterCheck forCluster() {
        return BpfCompiler.available() ? HERE : WHERE_IT_RUNS;
    }
}
