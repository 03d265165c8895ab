package io.meshcap.capture.k8s;

/**
 * One way to get tcpdump into a pod's network namespace (one implementation per privilege model).
 * The source calls {@link #setUp()} once, then runs every command at {@link #target()}, and calls
 * {@link #cleanUp()} exactly once, also when set-up failed half-way.
 */
interface CaptureLauncher {

    Strategy strategy();

    /**
     * Creates whatever the strategy needs and checks that tcpdump can run.
     *
     * @throws io.meshcap.MeshcapException saying why this strategy cannot work here, and the fix
     */
    void setUp();

    /** Where commands run in the target's network namespace; only valid after {@link #setUp()} succeeded. */
    ExecTarget target();

    /**
     * Undoes what {@link #setUp()} did, as far as it got. Idempotent; never throws: a failure is returned
     * as a message that tells the user what to remove by hand, or null when all went well.
     */
    String cleanUp();
}
