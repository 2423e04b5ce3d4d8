#!/bin/sh
# busybox init "::shutdown" action of the Nimbostack guest: leave the root
# disk clean before init kills everything and powers off.
echo "nimbo: shutting down" > /dev/console
for pidfile in /run/nimbo/dropbear.pid /run/nimbo/udhcpc.*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
sync
if grep -q " /mnt/root " /proc/mounts; then
    umount /mnt/root 2>/dev/null || mount -o remount,ro /mnt/root
fi
sync
