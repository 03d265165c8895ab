package io.meshcap.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.sys.CommandRunner;
import io.meshcap.sys.NetworkNamespace;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ledger tells a call that went through the sidecar from one the rules let bypass it. */
class LabBypassTest {

    @RegisterExtension
    static final LabFixture LAB = LabFixture.create();

    @Test
    void withoutTheOutputRulesOutboundCallsBypassTheSidecarTheLabIsNotUpAndUpRepairsIt() {
        Ledger intercepted = LAB.traffic(1, 1);
        assertTrue(intercepted.allVerified(), intercepted::toJson);
        assertTrue(intercepted.connections().stream().allMatch(LedgerEntry::viaSidecar), intercepted::toJson);

        NetworkNamespace pod = NetworkNamespace.named(LAB.topology().podNamespace());
        CommandRunner.check("flush the pod's nat OUTPUT chain", pod.enter(List.of("iptables", "-t", "nat", "-F", "OUTPUT")));
        assertFalse(LAB.lab().status().up(), "a lab whose rules were changed is not up");
        // The generator itself, since the lab refuses traffic while it is not up: what a bypass looks like.
        Ledger bypassed = new TrafficGenerator(LAB.lab().config(), RunDirectory.of(LAB.lab().config().name()))
                .run(1, 1, false);
        LedgerEntry outbound = bypassed.of(LedgerEntry.Kind.OUTBOUND).get(0);
        assertTrue(outbound.verified(), "the payload still arrives intact: the upstream also takes plaintext (PERMISSIVE)");
        assertFalse(outbound.viaSidecar(), bypassed::toJson);
        assertTrue(bypassed.of(LedgerEntry.Kind.INBOUND).get(0).viaSidecar(), "inbound rules are untouched");
        assertFalse(bypassed.allVerified());

        assertTrue(LAB.lab().up().up(), "lab up reloads the rules");
        assertTrue(LAB.traffic(1, 1).allVerified());
    }
}
