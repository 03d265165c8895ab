/**
 * The local sidecar lab: a network-namespace "pod" with Istio's real nat rules, a stand-in sidecar running as the
 * proxy uid, an application server, a second namespace playing the rest of the mesh, and a traffic generator that
 * writes a ground-truth ledger of every connection. {@link io.meshcap.lab.Lab} is the facade; everything else in
 * the package serves it or runs as one of the lab's background processes.
 */
package io.meshcap.lab;
