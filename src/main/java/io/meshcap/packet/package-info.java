/**
 * Header views over a captured record's bytes: the link layer (to find the network header), IPv4, IPv6 and TCP,
 * each with absolute get/set at named offsets, plus the Internet checksums. Views never copy and never move a
 * position; they read and write the array they were given, so a caller that must keep the original copies first.
 * Nothing here knows file formats: a view starts from the record's data and its interface's link type.
 */
package io.meshcap.packet;
