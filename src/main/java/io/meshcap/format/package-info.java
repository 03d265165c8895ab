/**
 * Capture file formats. Only this package and its sub-packages know byte layouts; every other stage
 * exchanges {@link io.meshcap.format.CaptureRecord}s and {@link io.meshcap.format.CaptureInterface}s.
 */
package io.meshcap.format;
