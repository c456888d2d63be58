#!/usr/bin/env bash
# A plugin in pure bash (no python, no jq): echoes the op back, refuses unknown ops.
set -u
printf '%s\n' '{"type":"handshake","protocol_version":"v1","plugin_name":"bash","capabilities":{"ops":["test.echo","test.nope"]}}'
echo "host_bash: ready" >&2
while IFS= read -r line; do
  [[ $line =~ \"request_id\":\"([^\"]*)\" ]] || continue
  rid=${BASH_REMATCH[1]}
  op=""
  [[ $line =~ \"op\":\"([^\"]*)\" ]] && op=${BASH_REMATCH[1]}
  dry=false
  [[ $line =~ \"dry_run\":true ]] && dry=true
  if [[ $op == "test.echo" ]]; then
    printf '{"type":"response","request_id":"%s","ok":true,"output":{"op":"%s","dry_run":%s,"shell":"bash"}}\n' \
      "$rid" "$op" "$dry"
  else
    printf '{"type":"response","request_id":"%s","ok":false,"error":{"code":"E_UNSUPPORTED","message":"unsupported op: %s"}}\n' \
      "$rid" "$op"
  fi
done
