package io.meshcap.reassoc;

import io.meshcap.format.CaptureRecord;
import java.util.List;

/**
 * A record in the re-associator's output queue: either resolved (what to write is known) or waiting for its
 * connection's first reply.
 */
final class HeldRecord {

    private final CaptureRecord record;
    private final int linkType;
    private final RedirectConnection waitingFor;
    private List<CaptureRecord> output;

    private HeldRecord(CaptureRecord record, int linkType, RedirectConnection waitingFor, List<CaptureRecord> output) {
        this.record = record;
        this.linkType = linkType;
        this.waitingFor = waitingFor;
        this.output = output;
    }

    static HeldRecord resolved(CaptureRecord record, List<CaptureRecord> output) {
        return new HeldRecord(record, 0, null, output);
    }

    static HeldRecord waiting(CaptureRecord record, int linkType, RedirectConnection connection) {
        return new HeldRecord(record, linkType, connection, null);
    }

    CaptureRecord record() {
        return record;
    }

    int linkType() {
        return linkType;
    }

    /** The connection whose reply this record waits for; only meaningful while not {@link #resolved()}. */
    RedirectConnection waitingFor() {
        return waitingFor;
    }

    boolean resolved() {
        return output != null;
    }

    void resolve(List<CaptureRecord> records) {
        output = records;
    }

    List<CaptureRecord> output() {
        return output;
    }
}
