#!/bin/sh
# Root's password from the cloud, for the Nimbostack guest.
#   password META_DATA SHADOW [SAVE_DIR]
# The admin_pass of META_DATA (the config drive's meta_data.json, written when the
# server was built or rebuilt) becomes root's password in SHADOW. Its hash (never the
# password) is saved in SAVE_DIR/root.hash on the machine disk, so that a boot whose
# metadata has no admin_pass (a config drive written again after a move or an
# unshelve, or the metadata service) keeps it, as a real root disk keeps
# /etc/shadow. Exit 0 when root's password was set, 1 when there was none to set.

meta=$1 shadow=$2 save=$3
json=${NIMBO_JSON:-/etc/nimbo/json}

hash=
if [ -f "$meta" ] && pass=$($json get admin_pass "$meta") && [ -n "$pass" ]; then
    # Through stdin (-P 0), not the command line: no other process can read it there.
    hash=$(printf '%s\n' "$pass" | mkpasswd -m sha512 -P 0) || exit 1
    if [ -n "$save" ] && mkdir -p "$save"; then
        (umask 077 && printf '%s\n' "$hash" > "$save/root.hash.new") \
            && mv "$save/root.hash.new" "$save/root.hash"
    fi
elif [ -n "$save" ] && [ -s "$save/root.hash" ]; then
    read -r hash < "$save/root.hash"
fi
[ -n "$hash" ] || exit 1

# crypt(3) hashes hold only [./0-9A-Za-z$]: safe in awk's -v.
(umask 077 && awk -F: -v OFS=: -v hash="$hash" '$1 == "root" { $2 = hash } { print }' \
    "$shadow" > "$shadow.new") && mv "$shadow.new" "$shadow"
