#!/usr/bin/env python3
"""A FastChat bot in a few lines: answers each direct message with "pong: TEXT", as a reply, and marks it read.

Start the daemon for the bot's account first (fastchat daemon --user echo), then: echo-bot.py SOCKET
"""
import json
import socket
import sys

connection = socket.socket(socket.AF_UNIX)
connection.connect(sys.argv[1])
stream = connection.makefile("rw", encoding="utf-8")
requests = 0


def call(method, **params):
    """Sends a request; its response comes in the loop below, among the events."""
    global requests
    requests += 1
    stream.write(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": requests}) + "\n")
    stream.flush()


call("subscribe")
for line in stream:
    event = json.loads(line)
    if event.get("method") != "event":
        continue  # a response to one of our requests
    message = event["params"]
    if message["type"] == "message" and message["kind"] == "direct" and not message["outgoing"]:
        call("send", to=message["with"], text="pong: " + message["text"], reply_to=message["seq"])
        call("markRead", conversation=message["conversation"], seq=message["seq"])
