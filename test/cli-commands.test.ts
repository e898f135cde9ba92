// The CLI's commands share one way to the configuration: --config from configOption() (GATEHOUSE_CONFIG through
// commander's Option.env) and the environment from cli-config.ts, never process.env read on their own.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gatehouse } from './support/gatehouse-cli.js';
import { projectRoot } from './support/project.js';

const COMMANDS = path.join(projectRoot, 'src', 'cli', 'commands');

async function commandSources(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(COMMANDS)).filter((f) => f.endsWith('.ts'));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(COMMANDS, file), 'utf8') })));
}

describe('CLI commands', () => {
  it('when a command needs the environment or a --config option, then it gets them from cli-config.ts', async () => {
    const offenders: string[] = [];
    for (const { file, text } of await commandSources()) {
      if (text.includes('process.env')) offenders.push(`${file}: reads process.env (use loadCliConfig() or cliEnvironment())`);
      if (/['"]-c, --config/.test(text)) offenders.push(`${file}: declares its own --config (use configOption())`);
    }
    assert.deepEqual(offenders, []);
  });

  it('when GATEHOUSE_CONFIG is set, then help shows it as the --config default\'s source and --config overrides it', async () => {
    const help = await gatehouse(['migrate', '--help']);
    assert.match(help.stdout, /--config <file> +configuration file \(default: "gatehouse\.yaml", env:\s+GATEHOUSE_CONFIG\)/);
    const overridden = await gatehouse(['migrate', '--status', '--config', 'from-flag.yaml'], { env: { GATEHOUSE_CONFIG: 'from-env.yaml' } });
    assert.equal(overridden.code, 2);
    assert.match(overridden.stderr, /cannot read from-flag\.yaml/);
  });
});
