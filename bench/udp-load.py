#!/usr/bin/env python3
"""UDP load for bench/capture.sh: DATAGRAM-byte datagrams to 127.0.0.1:PORT at RATE per second for SECONDS.

    bench/udp-load.py RATE SECONDS [PROCESSES] [DATAGRAM] [PORT]     prints the number of datagrams sent

iperf3 (one sendto per datagram, and its own receiver to feed) offered at most about 60 k datagrams a second on lo
on the shared 2-core machine. Here datagrams go out in batches of up to 256 per system call (sendmmsg, through
ctypes), paced so that by any moment about RATE x elapsed have been sent, from PROCESSES senders (default 1) that
share the rate; the receiving socket is bound but never read (the kernel drops what overflows it after every
capturer on lo has seen the packet, and no port-unreachable error comes back). Most of a sender's time is the
kernel's: passing each datagram through lo, and through every capturer's filter on the way. Linux only.
"""
import ctypes
import os
import socket
import sys
import time

BATCH = 256


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(IoVec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", MsgHdr), ("msg_len", ctypes.c_uint)]


def send(rate, seconds, datagram, port):
    """Sends at RATE for SECONDS and returns how many datagrams went out."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.connect(("127.0.0.1", port))

    payload = ctypes.create_string_buffer(datagram)
    iov = IoVec(ctypes.cast(payload, ctypes.c_void_p), datagram)
    messages = (MMsgHdr * BATCH)()
    for message in messages:
        message.msg_hdr.msg_iov = ctypes.pointer(iov)
        message.msg_hdr.msg_iovlen = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(MMsgHdr), ctypes.c_uint, ctypes.c_int]

    sent = 0
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * rate) - sent
        if due <= 0:
            time.sleep(0.0002)
            continue
        count = libc.sendmmsg(sender.fileno(), messages, min(due, BATCH), 0)
        if count > 0:
            sent += count  # a full socket buffer (ENOBUFS) sends nothing this time; the next call catches up
    return sent


def main():
    rate, seconds = int(sys.argv[1]), float(sys.argv[2])
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    datagram = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    port = int(sys.argv[5]) if len(sys.argv) > 5 else 5201

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", port))
    counts = []
    for _ in range(processes):
        read_end, write_end = os.pipe()
        if os.fork() == 0:
            os.close(read_end)
            os.write(write_end, str(send(rate / processes, seconds, datagram, port)).encode())
            os._exit(0)
        os.close(write_end)
        counts.append(read_end)
    total = 0
    for read_end in counts:
        with os.fdopen(read_end) as child:
            total += int(child.read())
    for _ in counts:
        os.wait()
    print(total)
    receiver.close()


if __name__ == "__main__":
    main()
