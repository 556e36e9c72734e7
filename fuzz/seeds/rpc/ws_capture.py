"""Subscribes on a CometBFT node's /websocket (stdlib only: RFC 6455 by hand) and saves the
answer to subscribe, the first tx event and the first NewBlock event with txs as JSON seeds.
   ws_capture.py HOST PORT OUTDIR"""
import base64, json, os, socket, struct, sys, time

host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.create_connection((host, port), timeout=60)
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall((f"GET /websocket HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
              f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    head += sock.recv(1)
assert b" 101 " in head.split(b"\r\n")[0], head


def exact(n):
    b = b""
    while len(b) < n:
        chunk = sock.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def send(text):
    data, mask = text.encode(), os.urandom(4)
    n = len(data)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def recv():
    """The next text message (fragments joined; pings answered)."""
    msg = b""
    while True:
        b0, b1 = exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", exact(8))[0]
        payload = exact(n)
        op = b0 & 0x0F
        if op == 9:  # ping: answer with a masked pong
            sock.sendall(bytes([0x8A, 0x80 | n]) + b"\0\0\0\0" + payload)
            continue
        msg += payload
        if b0 & 0x80:
            return msg.decode()


def save(name, text):
    with open(os.path.join(out, name + ".json"), "w") as f:
        f.write(json.dumps(json.loads(text), separators=(",", ":")) + "\n")


send(json.dumps({"jsonrpc": "2.0", "method": "subscribe", "id": 1, "params": {"query": "tm.event='Tx'"}}))
send(json.dumps({"jsonrpc": "2.0", "method": "subscribe", "id": 2, "params": {"query": "tm.event='NewBlock'"}}))
want = {"ws_subscribe_answer", "ws_tx", "ws_new_block"}
deadline = time.time() + 60
while want and time.time() < deadline:
    text = recv()
    v = json.loads(text)
    if v.get("id") == 1 and "ws_subscribe_answer" in want:
        save("ws_subscribe_answer", text)
        want.discard("ws_subscribe_answer")
        continue
    data = (v.get("result") or {}).get("data") or {}
    kind = data.get("type", "")
    if kind == "tendermint/event/Tx" and "ws_tx" in want:
        save("ws_tx", text)
        want.discard("ws_tx")
    elif kind == "tendermint/event/NewBlock" and data["value"]["block"]["data"].get("txs") and "ws_new_block" in want:
        save("ws_new_block", text)
        want.discard("ws_new_block")
sys.exit(1 if want else 0)
