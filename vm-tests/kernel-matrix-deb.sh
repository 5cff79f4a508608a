# kernel-matrix phase 3, sourced by vm-tests/kernel-matrix when it is given
# a .deb: the guest boots on the Debian 12 root of vm-tests/debian-root (an
# ext4 image made with mke2fs -d, on virtio-blk) under its own systemd,
# installs the package with dpkg (postinst enables and starts the unit), and
# the packaged portcullis.service bans and unbans from a log that only group
# adm may read, reloads (and refuses an invalid configuration), then
# `dpkg --purge` stops it and deletes its database.
#
# Uses from kernel-matrix: $work $vmlinuz $TIMEOUT, note, load, report.
# Needs mke2fs (e2fsprogs) and busybox.

deb_phase() {
    local package=$1 tarball droot dinit image phase_start
    phase_start=$(date +%s)
    tarball=$(vm-tests/debian-root)
    droot=$work/debroot
    dinit=$work/deb-initramfs
    image=$work/debroot.ext4
    rm -rf "$droot" "$dinit" "$image"
    mkdir -p "$droot" "$dinit"/{bin,dev,proc,sys,newroot,modules}
    tar -C "$droot" -xf "$tarball"

    # The initramfs only loads what the root needs from the kernel's
    # modules (virtio-blk, ext4, nf_tables: all modules in Debian's kernel),
    # mounts /dev/vda and hands over to the root's systemd.
    root=$dinit
    loaded=()
    order=()
    for m in crc32c_generic virtio_pci virtio_blk ext4 nf_tables nft_reject_inet; do load "$m"; done
    printf '%s\n' "${order[@]}" >"$dinit/modules/order"
    install -m 755 "$(command -v busybox)" "$dinit/bin/busybox"
    cat >"$dinit/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko || echo "KM FAIL deb-insmod: $m"; done
# virtio-blk appears asynchronously.
for i in $(seq 100); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t ext4 /dev/vda /newroot || { echo "KM FAIL deb-root: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys /dev
exec switch_root /newroot /lib/systemd/systemd
INIT
    chmod 755 "$dinit/init"
    (cd "$dinit" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/deb-initramfs.cpio"

    # The check runs once multi-user.target is reached.
    cp "$package" "$droot/root/portcullis.deb"
    echo km-deb >"$droot/etc/hostname"
    cat >"$droot/etc/systemd/system/km-deb-check.service" <<'UNIT'
[Unit]
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh /root/km-deb-check
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
UNIT
    mkdir -p "$droot/etc/systemd/system/default.target.wants"
    ln -s ../km-deb-check.service "$droot/etc/systemd/system/default.target.wants/km-deb-check.service"
    cat >"$droot/root/km-deb-check" <<'CHECK'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
step() { if [ "$2" -eq 0 ]; then echo "KM PASS $1"; else echo "KM FAIL $1${3:+: $3}"; fi; }
poll() {    # poll SECONDS COMMAND...
    end=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
in_set() { nft list set inet portcullis sshd-v4 2>/dev/null | grep -q "$1"; }
not_in_set() { ! in_set "$1"; }
unit_log() { journalctl -u portcullis.service -n 8 --no-pager -o cat 2>&1 | tr '\n' ' '; }
echo "KM BOOTED $(uname -r) (Debian root, systemd $(systemctl --version | head -n 1 | cut -d' ' -f2))"

# A log only group adm may read: the unit reads it through SupplementaryGroups=adm
# (root without CAP_DAC_OVERRIDE cannot read another owner's 0640 file).
: >/var/log/auth.log
chown nobody:adm /var/log/auth.log
chmod 0640 /var/log/auth.log

out=$(dpkg -i /root/portcullis.deb 2>&1)
step deb-dpkg-install $? "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
poll 60 systemctl is-active -q portcullis.service
step deb-unit-active $? "$(systemctl is-active portcullis.service) $(unit_log)"
[ "$(systemctl is-enabled portcullis.service)" = enabled ]
step deb-unit-enabled $? "$(systemctl is-enabled portcullis.service)"

for port in 4201 4202 4203 4204 4205; do
    echo "$(date '+%b %e %H:%M:%S') km-deb sshd[$port]: Failed password for root from 203.0.113.41 port $port ssh2" >>/var/log/auth.log
done
poll 60 in_set 203.0.113.41
step deb-ban $? "203.0.113.41 not in set sshd-v4: $(unit_log)"

portcullis unban sshd 203.0.113.41 >/dev/null && poll 30 not_in_set 203.0.113.41
step deb-unban $? "203.0.113.41 still in set sshd-v4: $(unit_log)"

systemctl reload portcullis.service
step deb-reload $? "$(unit_log)"
cp /etc/portcullis/portcullis.kdl /root/portcullis.kdl.good
echo 'jail "broken" {' >>/etc/portcullis/portcullis.kdl
! systemctl reload portcullis.service 2>/dev/null && systemctl is-active -q portcullis.service
step deb-reload-invalid $? "systemctl reload accepted a broken configuration or the unit stopped: $(unit_log)"
cp /root/portcullis.kdl.good /etc/portcullis/portcullis.kdl

dpkg --purge portcullis >/dev/null 2>&1
status=$?
! systemctl is-active -q portcullis.service && [ ! -e /var/lib/portcullis ] && [ ! -e /usr/bin/portcullis ]
step deb-purge $? "dpkg --purge exit $status; unit $(systemctl is-active portcullis.service); $(ls -d /var/lib/portcullis /usr/bin/portcullis 2>&1 | tr '\n' ' ')"

echo "KM DONE"
systemctl poweroff --force --force
CHECK

    local size
    size=$(( $(du -sm "$droot" | cut -f1) + 200 ))
    mke2fs -q -t ext4 -d "$droot" -F "$image" "${size}M" >/dev/null
    rm -rf "$droot"
    note "phase 3: booting the Debian root (${size} MiB ext4 image) with $(basename "$package")"
    set +e
    timeout "$TIMEOUT" nice qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
        -kernel "$vmlinuz" -initrd "$work/deb-initramfs.cpio" \
        -drive file="$image",format=raw,if=virtio \
        -append "console=ttyS0 panic=-1 loglevel=3 rdinit=/init systemd.show_status=0" \
        -nographic -no-reboot -nic none </dev/null >"$work/deb-console.log" 2>&1
    local status=$?
    set -e
    rm -f "$image"
    report "$work/deb-console.log" "$status"
    note "phase 3 took $(( $(date +%s) - phase_start ))s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
}
