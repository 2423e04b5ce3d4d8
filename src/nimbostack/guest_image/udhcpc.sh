#!/bin/sh
# udhcpc event hook of the Nimbostack guest: applies a DHCP lease to $interface
# (address, MTU, routes incl. RFC 3442 classless routes, resolv.conf).

RESOLV_CONF=/etc/resolv.conf

say() {
    up=
    read -r up _ < /proc/uptime
    echo "nimbo[${up:-0}]: $*" > /dev/console
}

apply_routes() {
    # RFC 3442: when classless static routes are offered, the router option
    # must be ignored (Neutron sends the metadata route this way).
    if [ -n "$staticroutes" ]; then
        set -- $staticroutes
        while [ $# -ge 2 ]; do
            if [ "$2" = "0.0.0.0" ]; then
                ip route replace "$1" dev "$interface"
            else
                ip route replace "$1" via "$2" dev "$interface"
            fi
            shift 2
        done
        return
    fi
    for gw in $router; do
        ip route replace default via "$gw" dev "$interface"
        break
    done
}

apply_dns() {
    [ -n "$dns" ] || return 0
    {
        [ -n "$domain" ] && echo "search $domain"
        for server in $dns; do
            echo "nameserver $server"
        done
    } > "$RESOLV_CONF"
}

case "$1" in
    deconfig)
        ip -4 addr flush dev "$interface"
        ip link set dev "$interface" up
        ;;
    bound|renew)
        [ "$1" = bound ] && ip -4 addr flush dev "$interface"
        ip addr replace "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
        [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
        apply_routes
        apply_dns
        [ "$1" = bound ] && say "$interface bound $ip/${mask:-24}"
        ;;
    leasefail|nak)
        ;;
esac
exit 0
