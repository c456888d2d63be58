"""Answers poll N with the Nth reply of the JSON array given as its argument (the last one
repeats). A reply "hang" stops answering (stdin is still read, so shutdown still works).

Used to replay what real plugins send, e.g. a Rust plugin on Dofek's protocol crate:
status "" and "manifest": null, a manifest only in a later reply, status "error" with panels.
"""
import json
import sys

replies = json.loads(sys.argv[1])
polls = 0
for line in sys.stdin:
    if '"shutdown"' in line:
        break
    reply = replies[min(polls, len(replies) - 1)]
    polls += 1
    if reply == "hang":
        continue
    print(json.dumps(reply), flush=True)
