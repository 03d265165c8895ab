package io.meshcap.istio;

/** One line of a dump with its 1-based line number, so every finding can point back to the input. */
record DumpLine(int number, String text) {
}
