#!/bin/sh
# busybox acpid handler for the ACPI power button (event PWRF/00000080):
# ask busybox init (PID 1) for an orderly power-off.
echo "nimbo: ACPI power button pressed" > /dev/console
exec /sbin/poweroff
