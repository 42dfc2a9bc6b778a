# A TCP proxy on 127.0.0.1 for the bridge tests: a connection lost with data in flight,
# at a chosen byte. It forwards each connection to 127.0.0.1:UPSTREAM_PORT, and cuts the
# first one (both sides closed) once CUT_BYTES have gone from the server to the client:
# whatever the server wrote after those bytes never arrives. Later connections are
# forwarded in full, so a client that reconnects goes on through the proxy.
# Usage: cut_proxy.py UPSTREAM_PORT CUT_BYTES PORT_FILE
# The port it listens on (chosen by the kernel) is written to PORT_FILE once it listens;
# "cut after N bytes" is printed to stdout when it cuts. It runs until killed.
import os
import socket
import sys
import threading

CHUNK = 65536


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def pump(src, dst, limit=None):
    """Copies src to dst until either side closes, or until `limit` bytes were copied."""
    sent = 0
    try:
        while limit is None or sent < limit:
            data = src.recv(CHUNK if limit is None else min(CHUNK, limit - sent))
            if not data:
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    if limit is not None and sent >= limit:
        print(f"cut after {sent} bytes", flush=True)
    close(src, dst)


def serve(client, upstream_port, cut):
    try:
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, cut), daemon=True).start()


def main():
    upstream_port, cut_bytes, port_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    first = True
    while True:
        client, _ = listener.accept()
        serve(client, upstream_port, cut_bytes if first else None)
        first = False


main()
