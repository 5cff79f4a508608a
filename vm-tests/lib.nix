# Shared by the VM tests: a server running sshd and portcullis, and an
# attacker that fails SSH logins against it.
#
# sshd on NixOS logs to the journal only; here rsyslog copies the auth
# facility to /var/log/auth.log, the file the sshd jail follows, so these
# tests cover the file source. journal.nix reads the journal instead.
{ pkgs, self }:

{
  # One test: `server` is a NixOS module merged into the server's
  # configuration; `testScript` gets `nodes` like any runNixOSTest script.
  mkTest = { name, server ? { }, testScript }:
    pkgs.testers.runNixOSTest {
      name = "portcullis-${name}";

      nodes.server = { ... }: {
        imports = [ self.nixosModules.default server ];

        services.openssh = {
          enable = true;
          settings = {
            PasswordAuthentication = true;
            KbdInteractiveAuthentication = false;
          };
        };
        users.users.alice = {
          isNormalUser = true;
          password = "right";
        };

        services.journald.forwardToSyslog = true;
        services.rsyslogd = {
          enable = true;
          extraConfig = ''
            auth,authpriv.*  /var/log/auth.log
          '';
        };

        services.portcullis = {
          enable = true;
          settings.logLevel = "debug";
          jails.sshd = {
            sources = [ "/var/log/auth.log" ];
            ports = [ 22 ];
            maxretry = 3;
            findtime = "10m";
            bantime = "1h";
          };
        };
      };

      nodes.attacker = { pkgs, ... }: {
        environment.systemPackages = [ pkgs.sshpass pkgs.netcat-openbsd ];
      };

      testScript = args: ''
        SSH = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null " \
              "-o PreferredAuthentications=password -o PubkeyAuthentication=no " \
              "-o ConnectTimeout=5 alice@server true"
        attacker_ip = "${args.nodes.attacker.networking.primaryIPAddress}"

        def fail_logins():
            """Three connections with a wrong password (sshpass gives up after
            the first refusal): maxretry is 3."""
            for _ in range(3):
                attacker.fail(f"sshpass -p wrong {SSH}")

        def wait_banned():
            server.wait_until_succeeds(
                f"portcullis list sshd --json | grep -F '\"{attacker_ip}\"'", timeout=60)
            attacker.wait_until_fails("nc -z -w 3 server 22", timeout=60)

        def wait_not_banned():
            server.wait_until_fails(
                f"portcullis list sshd --json | grep -F '\"{attacker_ip}\"'", timeout=60)
            attacker.wait_until_succeeds("nc -z -w 3 server 22", timeout=60)

        start_all()
        server.wait_for_unit("portcullis.service")
        server.wait_for_unit("sshd.service")
        ${pkgs.lib.optionalString args.nodes.server.services.rsyslogd.enable ''
          server.wait_for_unit("syslog.service")
        ''}
        attacker.wait_for_unit("multi-user.target")
        server.succeed("portcullis check-config")
        # The right password works before any ban.
        attacker.wait_until_succeeds(f"sshpass -p right {SSH}", timeout=60)

      '' + testScript args;
    };
}
