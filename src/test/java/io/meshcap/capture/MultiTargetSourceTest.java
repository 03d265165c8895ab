package io.meshcap.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshcap.MeshcapException;
import io.meshcap.tls.KeyFeed;
import io.meshcap.tls.KeyLog;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Legs of several targets captured as one: each leg to its own target's source, every source closed at once. */
@Timeout(60)
class MultiTargetSourceTest {

    private static final String RANDOM_A = "a".repeat(64);
    private static final String RANDOM_B = "b".repeat(64);

    /** One target's source: records the legs it starts and what closing it did; logs the keys it is given. */
    private static class Target implements CaptureSource {
        final List<String> started = new CopyOnWriteArrayList<>();
        final KeyLog keys;
        final List<KeyFeed> feeds;
        final CountDownLatch closed = new CountDownLatch(1);

        Target(String keyLines, KeyFeed... feeds) {
            this.keys = KeyLog.parse("target", keyLines.getBytes(StandardCharsets.US_ASCII));
            this.feeds = List.of(feeds);
        }

        /** What each start returns: the leg's capture as this target runs it. */
        final LegCapture capture = new LegCapture() {
            @Override
            public void stop() {
            }

            @Override
            public LegOutcome await(Duration timeout) {
                return null;
            }
        };

        @Override
        public LegCapture start(LegPlan leg, OutputStream sink) {
            started.add(leg.label());
            return capture;
        }

        @Override
        public KeyLog loggedKeys() {
            return keys;
        }

        @Override
        public List<KeyFeed> keyFeeds() {
            return feeds;
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    private static KeyFeed feed(String name) {
        return new KeyFeed() {
            @Override
            public KeyLog readNew() {
                return KeyLog.empty();
            }

            @Override
            public Duration period() {
                return Duration.ofSeconds(1);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    private static LegPlan leg(String target, String iface) {
        return new LegPlan(target, iface, "inbound-mtls", "tcp", false, CaptureLimits.none(), Map.of());
    }

    private static String keyLine(String random, String secret) {
        return "CLIENT_TRAFFIC_SECRET_0 " + random + " " + secret + "\n";
    }

    @Test
    void eachLegStartsOnItsOwnTargetsSource() throws Exception {
        Target reviews = new Target("");
        Target ratings = new Target("");
        MultiTargetSource all = new MultiTargetSource(Map.of("shop/reviews", reviews, "shop/ratings", ratings));

        assertSame(reviews.capture, all.start(leg("shop/reviews", "eth0"), new ByteArrayOutputStream()));
        assertSame(ratings.capture, all.start(leg("shop/ratings", "lo"), new ByteArrayOutputStream()));
        all.start(leg("shop/reviews", "lo"), new ByteArrayOutputStream());

        assertEquals(List.of("reviews/eth0:inbound-mtls", "reviews/lo:inbound-mtls"), reviews.started);
        assertEquals(List.of("ratings/lo:inbound-mtls"), ratings.started);
    }

    @Test
    void aLegOfAnUnknownTargetIsAFailure() {
        MultiTargetSource all = new MultiTargetSource(Map.of("shop/reviews", new Target("")));

        MeshcapException failure = assertThrows(MeshcapException.class,
                () -> all.start(leg("shop/details", "eth0"), new ByteArrayOutputStream()));
        assertEquals("no capture source for target shop/details", failure.getMessage());
    }

    @Test
    void theKeysAreEveryTargetsEachLineOnceAndTheFeedsEveryTargets() {
        String shared = keyLine(RANDOM_A, "01".repeat(32));
        KeyFeed first = feed("first");
        KeyFeed second = feed("second");
        KeyFeed third = feed("third");
        Map<String, CaptureSource> targets = new LinkedHashMap<>();
        targets.put("shop/reviews", new Target(shared, first, second));
        targets.put("shop/ratings", new Target(shared + keyLine(RANDOM_B, "02".repeat(32)), third));
        MultiTargetSource all = new MultiTargetSource(targets);

        KeyLog keys = all.loggedKeys();
        assertEquals(2, keys.size(), keys.entries().toString());
        assertTrue(keys.hasKeysFor(RANDOM_A) && keys.hasKeysFor(RANDOM_B), keys.entries().toString());
        List<String> feeds = new ArrayList<>(all.keyFeeds().stream().map(Object::toString).toList());
        feeds.sort(null);
        assertEquals(List.of("first", "second", "third"), feeds);
    }

    @Test
    void closingClosesEveryTargetAtOnce() throws Exception {
        // Each target's clean-up waits for the other's to have begun: closed one after the other, neither would end.
        Target reviews = new Target("");
        Target ratings = new Target("");
        CountDownLatch bothClosing = new CountDownLatch(2);
        AtomicBoolean sawTheOther = new AtomicBoolean(true);
        Map<String, CaptureSource> targets = new LinkedHashMap<>();
        for (Map.Entry<String, Target> target : Map.of("shop/reviews", reviews, "shop/ratings", ratings).entrySet()) {
            targets.put(target.getKey(), new Target("") {
                @Override
                public void close() {
                    bothClosing.countDown();
                    try {
                        if (!bothClosing.await(20, TimeUnit.SECONDS)) {
                            sawTheOther.set(false);
                        }
                    } catch (InterruptedException e) {
                        sawTheOther.set(false);
                    }
                    target.getValue().close();
                }
            });
        }

        new MultiTargetSource(targets).close();

        assertTrue(sawTheOther.get(), "both targets were cleaning up at the same time");
        assertEquals(0, reviews.closed.getCount());
        assertEquals(0, ratings.closed.getCount());
    }

    @Test
    void aTargetThatFailsToCloseIsSaidAfterEveryOtherHasClosed() {
        Target ratings = new Target("");
        CountDownLatch failed = new CountDownLatch(1);
        MeshcapException cause = MeshcapException.failure("cannot delete pod shop/meshcap-node-x: forbidden");
        Map<String, CaptureSource> targets = new LinkedHashMap<>();
        targets.put("shop/reviews", new Target("") {
            @Override
            public void close() {
                failed.countDown();
                throw cause;
            }
        });
        targets.put("shop/ratings", new Target("") {
            @Override
            public void close() {
                try {
                    // Still cleaning up when the other target has failed.
                    failed.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ratings.close();
            }
        });

        MeshcapException thrown = assertThrows(MeshcapException.class, () -> new MultiTargetSource(targets).close());

        assertSame(cause, thrown);
        assertEquals(0, ratings.closed.getCount(), "the other target was closed all the same");
    }

    @Test
    void anInterruptDoesNotCutTheCleanUpShortAndIsKept() throws Exception {
        CountDownLatch closing = new CountDownLatch(1);
        CountDownLatch mayFinish = new CountDownLatch(1);
        Target reviews = new Target("");
        MultiTargetSource all = new MultiTargetSource(Map.of("shop/reviews", new Target("") {
            @Override
            public void close() {
                closing.countDown();
                try {
                    mayFinish.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                reviews.close();
            }
        }));
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread owner = new Thread(() -> {
            all.close();
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        owner.start();
        assertTrue(closing.await(20, TimeUnit.SECONDS));
        owner.interrupt();
        // The owner goes on waiting for the clean-up rather than leaving it half done.
        while (owner.getState() != Thread.State.WAITING) {
            assertTrue(owner.isAlive(), "close returned before the target had closed");
            Thread.sleep(5);
        }
        mayFinish.countDown();
        owner.join();

        assertEquals(0, reviews.closed.getCount());
        assertTrue(interruptKept.get(), "the interrupt is kept for the owner");
    }
}
