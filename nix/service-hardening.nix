# The static [Service] settings of portcullis.service: restart policy,
# directories, capabilities and sandboxing, read from their one source, the
# "shared hardening" block of the Debian unit
# (packaging/debian/portcullis.service), so the .deb's unit and the NixOS
# module's cannot drift. nix/module.nix merges them into the unit;
# vm-tests/kernel-matrix renders them (nix-instantiate --eval, as NixOS does:
# a list becomes one line per element) into a unit that Debian's systemd runs
# in the guest, so they are tested for real.
#
# Result: { Key = value; } where a key given once is a string ("true" and
# "false" become booleans) and a key repeated is the list of its values.
let
  inherit (builtins) elemAt filter foldl' head length match readFile split tail;

  lines = filter (l: builtins.isString l) (split "\n" (readFile ../packaging/debian/portcullis.service));

  # The lines strictly between the two markers.
  between = ls: inside:
    if ls == [ ] then
      throw "packaging/debian/portcullis.service: no \"# END shared hardening\" line"
    else if match "# BEGIN shared hardening.*" (head ls) != null then between (tail ls) true
    else if match "# END shared hardening.*" (head ls) != null then [ ]
    else (if inside then [ (head ls) ] else [ ]) ++ between (tail ls) inside;

  block = filter (l: match "[[:space:]]*([#;].*)?" l == null) (between lines false);

  setting = line:
    let m = match "([A-Za-z]+)=(.*)" line; in
    if m == null then throw "packaging/debian/portcullis.service: not Key=value: ${line}"
    else { key = elemAt m 0; value = elemAt m 1; };

  scalar = v: if v == "true" then true else if v == "false" then false else v;

  add = acc: s:
    acc // {
      ${s.key} =
        if !(acc ? ${s.key}) then scalar s.value
        else if builtins.isList acc.${s.key} then acc.${s.key} ++ [ s.value ]
        else [ acc.${s.key} s.value ];
    };
  settings = foldl' add { } (map setting block);
in
if length block == 0 then throw "packaging/debian/portcullis.service: empty shared hardening block"
else settings
