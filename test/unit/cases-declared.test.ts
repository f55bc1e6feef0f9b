// A case is declared in one place: the check module. The schema, the defaults and the errors for
// settings a check does not read all come from it.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { caseSchema, settingDefaults, settingsSchemaOf } from '../../src/cases/case-schema.ts';
import { checkModules } from '../../src/cases/checks/index.ts';
import { loadCase, notApplicable } from '../../src/cases/case-files.ts';
import { loadAllCases } from '../../src/cases/case-folders.ts';
import { casesDir } from '../../src/config/paths.ts';
import { ConfigError } from '../../src/errors.ts';

function caseFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kt-case-')), 'c.yml');
  writeFileSync(file, text);
  return file;
}

const header = 'id: x\ntitle: t\ndescription: d\n';

test('cases/case.schema.json is the schema the check modules assemble (regenerate with npm run schema)', (t) => {
  t.deepEqual(JSON.parse(readFileSync(join(casesDir, 'case.schema.json'), 'utf8')), caseSchema());
});

test("every default a check declares satisfies that check's own schema", (t) => {
  const ajv = new Ajv({ strict: true });
  for (const module of checkModules) {
    const validate = ajv.compile({ type: 'object', additionalProperties: false, properties: settingsSchemaOf(module) });
    t.true(validate(settingDefaults(module)), `${module.name}: ${JSON.stringify(validate.errors)}`);
  }
});

test('a setting the check does not read is an error naming file:line and the key', (t) => {
  const file = caseFile(`${header}check: containerd\nsettings:\n  settleMs: 100\n  interface: eth0\n`);
  const error = t.throws(() => loadCase(file), { instanceOf: ConfigError });
  t.regex(error!.message, /c\.yml:7: unknown key "settings\.interface"$/);
  // runc judges once: a settle time would be a setting nobody reads.
  const once = caseFile(`${header}check: runc\nsettings:\n  settleMs: 100\n`);
  t.regex(t.throws(() => loadCase(once), { instanceOf: ConfigError })!.message, /c\.yml:6: unknown key "settings\.settleMs"$/);
});

test("another check's setting is refused too, though it is a known setting name", (t) => {
  // hwrng belongs to rng, not dhcp.
  const file = caseFile(`${header}check: dhcp\nsettings:\n  hwrng: virtio\n`);
  t.regex(t.throws(() => loadCase(file), { instanceOf: ConfigError })!.message, /c\.yml:6: unknown key "settings\.hwrng"/);
});

test('a setting of the wrong type names file:line', (t) => {
  const file = caseFile(`${header}check: rng\nsettings:\n  sampleGapMs: soon\n`);
  t.regex(t.throws(() => loadCase(file), { instanceOf: ConfigError })!.message, /c\.yml:6: settings\.sampleGapMs must be integer/);
});

test("a bad regular expression in a check's regex setting names file:line", (t) => {
  const file = caseFile(`${header}check: rng\nsettings:\n  hwrng: "virtio_(rng"\n`);
  t.regex(t.throws(() => loadCase(file), { instanceOf: ConfigError })!.message, /c\.yml:6: settings\.hwrng "virtio_\(rng" is not a valid regular expression/);
});

test("a case gets its check's defaults for the settings it leaves out; what it writes wins", (t) => {
  const c = loadCase(caseFile(`${header}check: dhcp\nsettings:\n  interface: eth1\n`));
  t.is(c.settings.interface, 'eth1');
  t.is(c.settings.address, '10.0.2.15/24');
  t.is(c.settings.settleMs, 0);
  t.true(Object.isFrozen(c.settings));
});

test('boot is an ordinary case file, and every built-in case loads', (t) => {
  const cases = loadAllCases();
  t.is(cases[0]!.check, 'boot');
  // Every module but script (written by vendors, no built-in case) has its built-in case.
  t.deepEqual(new Set(cases.map((c) => c.check)), new Set(checkModules.map((m) => m.name).filter((n) => n !== 'script')));
});

test('appliesTo limits a case to targets and formats, with the reason', (t) => {
  const c = loadCase(caseFile(`${header}check: runc\nappliesTo:\n  targets: [s390x]\n  formats: [kernel+initrd]\n`));
  t.is(notApplicable(c, 's390x', 'kernel+initrd'), undefined);
  t.is(notApplicable(c, 'x86_64', 'kernel+initrd'), 'applies to targets s390x only');
  t.is(notApplicable(c, 's390x', 'iso-efi'), 'applies to kernel+initrd images only');
  t.regex(t.throws(() => loadCase(caseFile(`${header}check: runc\nappliesTo:\n  arch: [s390x]\n`)), { instanceOf: ConfigError })!.message, /c\.yml:6: unknown key "appliesTo\.arch"/);
});
