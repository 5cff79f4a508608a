# The static [Service] settings of portcullis.service: restart policy,
# directories, capabilities and sandboxing. nix/module.nix merges them into
# the unit; vm-tests/kernel-matrix renders them (nix-instantiate --eval, as
# NixOS does: a list becomes one line per element) into a unit that Debian's
# systemd runs in the guest, so they are tested for real.
{
  Restart = "on-failure";
  RestartSec = "1s";

  StateDirectory = "portcullis";
  StateDirectoryMode = "0700";
  RuntimeDirectory = "portcullis";
  RuntimeDirectoryMode = "0700";
  UMask = "0077";

  # Root, but with CAP_NET_ADMIN only (nftables and netlink).
  CapabilityBoundingSet = [ "CAP_NET_ADMIN" ];
  AmbientCapabilities = [ "CAP_NET_ADMIN" ];
  NoNewPrivileges = true;

  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  MemoryDenyWriteExecute = true;
  RemoveIPC = true;
  # Netlink (nftables, rtnetlink) and the control socket; nothing else.
  RestrictAddressFamilies = [ "AF_UNIX" "AF_NETLINK" ];
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "@system-service" "~@privileged" ];
  SystemCallErrorNumber = "EPERM";
}
