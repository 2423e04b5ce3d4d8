#!/bin/sh
# /init of the Nimbostack guest ("our CirrOS"): brings the guest up from the
# initramfs, applies cloud metadata, prints the machine-readable boot marker and
# then hands PID 1 over to busybox init (getty, clean power-off).
#
# Layout: the initramfs stays the root filesystem (nothing to pivot to); the
# persistent machine disk (ext4, label nimbo-root) is mounted on /mnt/root and
# /data points at its data directory.
#
# Kernel parameters read: nimbo.verbose (keep kernel messages on the console).

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
umask 022

NIMBO=/etc/nimbo
RUN=/run/nimbo
ROOT_MNT=/mnt/root
CFG_MNT=/mnt/config
ROOT_LABEL=nimbo-root
METADATA_URL=http://169.254.169.254/openstack/latest
BOOT_ID=unknown
ROOT_DEV=
CONFIG_DEV=
UNREADABLE=
FAILED_ONCE=
EXTRA_TTY=

log() {
    # Uptime stamps make slow boot phases visible in the console log.
    up=
    read -r up _ < /proc/uptime 2>/dev/null
    echo "nimbo[${up:-0}]: $*"
}

# Marker lines go to the console and, if the serial port is not the console
# (e.g. console=tty0 last), to ttyS0 too: tests and the cloud read the serial log.
emit() {
    echo "$*" > /dev/console
    [ -n "$EXTRA_TTY" ] && echo "$*" > "$EXTRA_TTY"
}

mount_kernel_fs() {
    mount -t proc -o nosuid,nodev,noexec proc /proc
    mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
    mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
    mkdir -p /dev/pts /dev/shm
    mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
    mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
    mkdir -p "$RUN"
    ln -sf /proc/mounts /etc/mtab
    BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
}

quiet_kernel() {
    # Keep module-load chatter from splitting marker lines on the console.
    grep -qw nimbo.verbose /proc/cmdline || echo 1 > /proc/sys/kernel/printk
}

pick_marker_ttys() {
    grep -qw ttyS0 /sys/class/tty/console/active 2>/dev/null && return 0
    tty_present ttyS0 && EXTRA_TTY=/dev/ttyS0
}

# Serial device nodes exist even without a UART behind them (type 0).
tty_present() {
    case "$1" in
        ttyS*) [ "$(cat "/sys/class/tty/$1/type" 2>/dev/null || echo 0)" != 0 ] ;;
        *) [ -c "/dev/$1" ] ;;
    esac
}

load_modules() {
    kver=$(uname -r)
    # Order precomputed at build time from the modules' "depends=" info.
    while read -r mod; do
        [ -n "$mod" ] || continue
        insmod "/lib/modules/$kver/$mod" 2>/dev/null || log "cannot load $mod"
    done < "$NIMBO/modules"
}

# Label bytes at an offset of a device, lower-cased, padding removed.
read_label() {
    dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | tr -d ' \000' | tr A-Z a-z
}

# ext2/3/4: superblock at 1024, volume name at +120.
ext_label() {
    read_label "$1" 1144 16
}

# ISO9660: primary volume descriptor at 32768, volume id at +40; FAT: boot
# sector offset 43 (FAT12/16) or 71 (FAT32).  Nova writes either format.
is_config_drive() {
    [ "$(read_label "$1" 32808 32)" = config-2 ] \
        || [ "$(read_label "$1" 43 11)" = config-2 ] \
        || [ "$(read_label "$1" 71 11)" = config-2 ]
}

# Whole disks (virtio, SCSI, CD-ROM), skipping any listed in $UNREADABLE.
disks() {
    for dev in /sys/class/block/vd* /sys/class/block/sd* /sys/class/block/sr*; do
        [ -e "$dev/device" ] || continue
        case " $UNREADABLE " in *" /dev/${dev##*/} "*) continue ;; esac
        echo "/dev/${dev##*/}"
    done
}

find_root_device() {
    # virtio-blk disks appear synchronously; only virtio-scsi ones need a wait.
    tries=0
    while :; do
        for dev in $(disks); do
            case $dev in /dev/sr*) continue ;; esac
            [ "$(ext_label "$dev")" = "$ROOT_LABEL" ] && { ROOT_DEV=$dev; return 0; }
        done
        [ -b /dev/vda ] && { ROOT_DEV=/dev/vda; return 0; }
        ls -d /sys/bus/virtio/drivers/virtio_scsi/virtio* > /dev/null 2>&1 || return 1
        [ $tries -lt 10 ] || return 1
        tries=$((tries + 1))
        sleep 0.2
    done
}

mount_root() {
    if ! find_root_device; then
        log "no root disk found; running from RAM only"
        return 1
    fi
    mkdir -p "$ROOT_MNT"
    if ! mount -t ext4 -o rw "$ROOT_DEV" "$ROOT_MNT" 2>/dev/null \
        && ! mount -o rw "$ROOT_DEV" "$ROOT_MNT"; then
        log "cannot mount $ROOT_DEV; running from RAM only"
        ROOT_DEV=
        return 1
    fi
    # The cloud may have grown the disk (flavor root size): grow ext4 online.
    if grep -q "^$ROOT_DEV $ROOT_MNT ext4 " /proc/mounts; then
        resize2fs "$ROOT_DEV" > "$RUN/resize2fs.log" 2>&1 || log "resize2fs failed"
    fi
    mkdir -p "$ROOT_MNT/data" "$ROOT_MNT/etc/dropbear"
    ln -sfn "$ROOT_MNT/data" /data
    # Persistent SSH host keys: the same key across reboots of this disk.
    rm -rf /etc/dropbear
    ln -sfn "$ROOT_MNT/etc/dropbear" /etc/dropbear
    log "root disk $ROOT_DEV mounted on $ROOT_MNT"
}

nics() {
    for path in /sys/class/net/*; do
        # Only real devices (eth*), not lo or tunnel pseudo-devices.
        [ -e "$path/device" ] && echo "${path##*/}"
    done
}

start_dhcp() {
    ip link set lo up
    for nic in $(nics); do
        ip link set "$nic" up
        # 3 discovers 1 s apart, then udhcpc keeps trying in the background,
        # so a network without DHCP delays boot by about 3 s at most.
        # A DHCP server sends only the options asked for: ask for the classless
        # routes (the metadata address's route) and the MTU too.
        udhcpc -i "$nic" -s "$NIMBO/udhcpc" -t 3 -T 1 -A 5 -b -O staticroutes -O mtu \
            -p "$RUN/udhcpc.$nic.pid" > "$RUN/udhcpc.$nic.log" 2>&1 &
    done
}

# An empty CD-ROM tray fails every read after ~0.1 s: after two failures stop
# probing it, so that a boot without config drive is not slowed down.
probe_readable() {
    dd if="$1" of=/dev/null bs=2048 count=1 2>/dev/null && return 0
    case " $FAILED_ONCE " in
        *" $1 "*) UNREADABLE="$UNREADABLE $1" ;;
        *) FAILED_ONCE="$FAILED_ONCE $1" ;;
    esac
    return 1
}

find_config_drive() {
    for dev in $(disks); do
        [ "$dev" != "$ROOT_DEV" ] || continue
        probe_readable "$dev" && is_config_drive "$dev" && { CONFIG_DEV=$dev; return 0; }
    done
    return 1
}

mount_config_drive() {
    mkdir -p "$CFG_MNT"
    tries=0
    # ATA/SCSI CD-ROMs show up asynchronously: poll for about 2.5 s.
    while [ $tries -lt 25 ]; do
        if find_config_drive; then
            # Read-only mounts of iso9660/vfat never write to the device.
            mount -t iso9660 -o ro "$CONFIG_DEV" "$CFG_MNT" 2>/dev/null \
                || mount -t vfat -o ro "$CONFIG_DEV" "$CFG_MNT" 2>/dev/null || return 1
            [ -f "$CFG_MNT/openstack/latest/meta_data.json" ] && return 0
            umount "$CFG_MNT"
            return 1
        fi
        tries=$((tries + 1))
        sleep 0.1
    done
    return 1
}

read_config_drive() {
    mount_config_drive || return 1
    for name in meta_data.json user_data network_data.json vendor_data.json; do
        src="$CFG_MNT/openstack/latest/$name"
        [ -f "$src" ] && cp "$src" "$RUN/$name"
    done
    umount "$CFG_MNT"
    log "metadata read from config drive"
}

have_ipv4() {
    ip -4 -o addr show scope global 2>/dev/null | grep -q inet
}

read_metadata_service() {
    have_ipv4 || return 1
    # Cap the whole fetch with timeout: busybox wget -T does not bound the TCP
    # connect, and the static busybox crashes (SIGSEGV) when given -T at all.
    timeout 3 wget -q -O "$RUN/meta_data.json" "$METADATA_URL/meta_data.json" 2>/dev/null || {
        rm -f "$RUN/meta_data.json"
        return 1
    }
    for name in user_data network_data.json vendor_data.json; do
        timeout 3 wget -q -O "$RUN/$name" "$METADATA_URL/$name" 2>/dev/null \
            || rm -f "$RUN/$name"
    done
    log "metadata read from $METADATA_URL"
}

json_get() {
    "$NIMBO/json" get "$1" "$2" 2>/dev/null
}

apply_hostname() {
    name=
    [ -f "$RUN/meta_data.json" ] && name=$(json_get hostname "$RUN/meta_data.json")
    # Like cloud-init: "vm1.novalocal" becomes host name "vm1".
    name=${name%%.*}
    # Keep the marker line parseable: no spaces or odd bytes in the name.
    name=$(printf %s "$name" | tr -c 'A-Za-z0-9-' '-')
    [ -n "$name" ] || name=nimbo
    hostname "$name"
    echo "$name" > /etc/hostname
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$name" > /etc/hosts
}

apply_root_password() {
    save=
    [ -n "$ROOT_DEV" ] && save=$ROOT_MNT/etc/nimbo
    "$NIMBO/password" "$RUN/meta_data.json" /etc/shadow "$save" \
        && log "root password set from the cloud"
}

apply_ssh_keys() {
    [ -f "$RUN/meta_data.json" ] || return 0
    mkdir -p /root/.ssh
    chmod 700 /root/.ssh
    json_get public_keys "$RUN/meta_data.json" > "$RUN/public_keys.json" || return 0
    "$NIMBO/json" values "$RUN/public_keys.json" | grep . \
        > /root/.ssh/authorized_keys
    chmod 600 /root/.ssh/authorized_keys
    log "$(wc -l < /root/.ssh/authorized_keys) ssh key(s) installed for root"
}

run_user_data() {
    script="$RUN/user_data"
    [ -s "$script" ] || return 0
    if [ "$(head -c 2 "$script")" != "#!" ]; then
        log "user-data is not a script; ignored"
        return 0
    fi
    chmod 700 "$script"
    log "running user-data"
    # Synchronous, so the boot marker means "user-data has finished".
    (cd / && "$script" < /dev/null)
    log "user-data exited with status $?"
    # The host may kill the VM any time after the marker: make writes durable.
    sync
}

start_services() {
    syslogd -C64
    acpid -c /etc/acpi -l "$RUN/acpid.log"
    dropbear -R -p 22 -P "$RUN/dropbear.pid" 2>/dev/null || log "dropbear not started"
}

ipv4_list() {
    ip -4 -o addr show scope global 2>/dev/null \
        | awk '{ split($4, a, "/"); printf "%s%s", sep, a[1]; sep = "," }'
}

boot_marker() {
    ips=$(ipv4_list)
    read -r up _ < /proc/uptime
    emit "NIMBOSTACK-BOOT hostname=$(hostname) ips=${ips:-none} uptime=$up boot_id=$BOOT_ID"
}

start_ticker() {
    (
        while :; do
            sleep 2
            read -r up _ < /proc/uptime
            emit "NIMBOSTACK-TICK uptime=$up boot_id=$BOOT_ID"
        done
    ) < /dev/null > /dev/null 2>&1 &
}

write_inittab() {
    {
        for tty in ttyS0 tty1; do
            tty_present "$tty" && echo "$tty::respawn:/sbin/getty -L 115200 $tty vt100"
        done
        echo "::ctrlaltdel:/sbin/reboot"
        echo "::shutdown:$NIMBO/shutdown"
    } > /etc/inittab
}

main() {
    mount_kernel_fs
    quiet_kernel
    pick_marker_ttys
    log "starting (kernel $(uname -r), boot_id $BOOT_ID)"
    load_modules
    mount_root
    start_dhcp
    # The config drive is searched while DHCP runs.
    read_config_drive
    wait
    [ -f "$RUN/meta_data.json" ] || read_metadata_service || log "no metadata source found"
    apply_hostname
    apply_root_password
    apply_ssh_keys
    start_services
    run_user_data
    boot_marker
    start_ticker
    write_inittab
    exec /sbin/init
}

main
# Only reached if exec failed: never let PID 1 exit (kernel panic).
log "cannot exec /sbin/init; starting a rescue shell"
exec setsid cttyhack sh
