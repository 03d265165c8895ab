/**
 * What Istio really installed in a pod's network namespace: parsers for {@code iptables-save} and
 * {@code nft list ruleset} output that build one {@link io.meshcap.istio.InterceptionModel}, the advice
 * meshcap derives from it, the Istio port guide, and the collection of those facts from a live namespace.
 */
package io.meshcap.istio;
