/**
 * The lab's Istio-style mutual TLS: certificates ({@link io.meshcap.lab.mtls.LabPki}) and TLS 1.3 connections that
 * log their secrets ({@link io.meshcap.lab.mtls.MeshTls}). BouncyCastle lives here and is loaded only by the lab.
 */
package io.meshcap.lab.mtls;
