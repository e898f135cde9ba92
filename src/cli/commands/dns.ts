// `gatehouse dns`: register / deregister / status against the configured DNS server, and the cloud side's resolver config.
import { Option, type Command } from 'commander';
import type { GatehouseConfig } from '../../config/types.js';
import { CLOUD_FLAVORS, renderCloudConfig, type CloudFlavor } from '../../discovery/cloud-config.js';
import { createRegistrar } from '../../discovery/create-registrar.js';
import type { Registrar } from '../../discovery/registrar.js';
import { DnsRequestError } from '../../discovery/rfc2136/dns-request-error.js';
import { createLogger } from '../../observability/logger.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

function load(file: string): GatehouseConfig {
  return loadCliConfig(file);
}

function publishedPort(config: GatehouseConfig): number {
  return config.discovery.port ?? config.server.port;
}

function registrarFor(config: GatehouseConfig, file: string, instanceId?: string): Promise<Registrar> {
  if (config.discovery.registrar === 'none') {
    throw new UsageError(`${file}: discovery.registrar is none; set it to rfc2136 (with discovery.name and discovery.rfc2136)`);
  }
  // The command reports for itself; the registrar's structured log is for the running gateway.
  const logger = createLogger({ level: 'error', silent: true });
  return createRegistrar(config.discovery, { logger, port: publishedPort(config), ...(instanceId ? { instanceId } : {}) });
}

/** A DNS failure is the server's or the network's answer, not a crash: one line, exit 1. */
async function reporting(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof DnsRequestError)) throw err;
    process.stderr.write(`gatehouse: ${err.message}\n`);
    process.exit(1);
  }
}

export function registerDns(program: Command): void {
  const dns = program.command('dns').description("publish the gateway's name in DNS (RFC 2136) and print the cloud side's resolver config");

  dns
    .command('register')
    .description('publish this instance (A / AAAA, SRV, TXT) once, as the running gateway does when it is ready')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      await run(() =>
        reporting(async () => {
          const config = load(opts.config);
          const registrar = await registrarFor(config, opts.config);
          await registrar.register(publishedPort(config));
          const status = registrar.status();
          process.stdout.write(`registered ${status.instance} at ${status.server}:\n${status.records.map((r) => `  ${r}\n`).join('')}`);
        }),
      );
    });

  dns
    .command('deregister')
    .description("withdraw this instance's records (only its own; other replicas' stay)")
    .addOption(configOption())
    .option('--instance <id>', 'withdraw another instance (e.g. a replica that was lost without stopping)')
    .action(async (opts: { config: string; instance?: string }) => {
      await run(() =>
        reporting(async () => {
          const config = load(opts.config);
          const registrar = await registrarFor(config, opts.config, opts.instance);
          await registrar.deregister();
          process.stdout.write(`deregistered ${registrar.status().instance} from ${registrar.status().server}\n`);
        }),
      );
    });

  dns
    .command('status')
    .description('what the DNS server holds for the name: records, and each replica with its last refresh')
    .addOption(configOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { config: string; format: 'text' | 'json' }) => {
      await run(() =>
        reporting(async () => {
          const config = load(opts.config);
          const view = await (await registrarFor(config, opts.config)).lookup();
          if (opts.format === 'json') {
            process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
            return;
          }
          const lines = [
            `${view.name}: ${view.instances.length} instance(s)`,
            ...view.instances.map(
              (i) => `  ${i.instance}  ${i.addresses.join(',')} port ${i.port}  last refresh ${i.lastSeen}${i.stale ? '  STALE (overdue)' : ''}`,
            ),
            'records:',
            ...(view.records.length === 0 ? ['  (none)'] : view.records.map((r) => `  ${r}`)),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }),
      );
    });

  dns
    .command('cloud-config')
    .description('print what a cloud cluster needs to resolve the on-prem name')
    .addOption(configOption())
    .addOption(new Option('--flavor <flavor>', 'coredns server block, kube-dns stubDomains, or an ExternalName Service').choices(CLOUD_FLAVORS).makeOptionMandatory())
    .option('--namespace <ns>', 'the ExternalName Service namespace', 'default')
    .option('--service-name <name>', 'the ExternalName Service name', 'gatehouse')
    .action(async (opts: { config: string; flavor: CloudFlavor; namespace: string; serviceName: string }) => {
      await run(async () => {
        const config = load(opts.config);
        const { discovery } = config;
        if (!discovery.name || !discovery.rfc2136) {
          throw new UsageError(`${opts.config}: cloud-config needs discovery.name and discovery.rfc2136 (its zone and server)`);
        }
        const text = renderCloudConfig(opts.flavor, {
          zone: discovery.rfc2136.zone,
          name: discovery.name,
          resolvers: discovery.resolvers ?? [discovery.rfc2136.server],
          port: publishedPort(config),
          namespace: opts.namespace,
          serviceName: opts.serviceName,
        });
        process.stdout.write(text);
      });
    });
}
