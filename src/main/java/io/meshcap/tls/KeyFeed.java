package io.meshcap.tls;

import java.time.Duration;

/**
 * TLS keys that are logged while a capture runs (a proxy appending to its key log), read as they come, so that a
 * live stream can carry them ahead of the packets that need them.
 */
public interface KeyFeed {

    /**
     * The keys logged since the last call, whole lines only; keys returned before may come again (a reader writes
     * each line once). Problems are said by the feed itself; a feed that cannot be read returns nothing.
     */
    KeyLog readNew();

    /** How often {@link #readNew} is worth calling: what one read costs decides it. */
    Duration period();
}
