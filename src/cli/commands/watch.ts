// `mrtom-kv watch [prefix]`: prints changes as they are applied, resuming across replica failures with no
// gap or repeat (the SDK's watch). Runs until Ctrl-C, or --max-frames.
import { Option } from 'commander';
import type { WatchFrame } from '../../client/index.js';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { valueText, writeJson, writeLine } from '../output.js';
import { parseIntegerIn } from '../options.js';

interface WatchFlags extends ClientFlags {
  fromRevision?: number;
  maxFrames?: number;
}

function frameLines(frame: WatchFrame): string[] {
  return frame.events.map((e) =>
    e.type === 'put' ? `PUT ${frame.revision} ${e.key} ${valueText(e.kv.value)}` : `DELETE ${frame.revision} ${e.key}`,
  );
}

export function watchCommand() {
  return clientCommand('watch', 'print changes under a prefix as they happen (one line per event; json: one frame per line)', [
    'mrtom-kv watch app/',
    'mrtom-kv watch app/ --from-revision 1 --max-frames 10 -o json',
  ])
    .argument('[prefix]', 'watch keys starting with this', '')
    .addOption(
      new Option('--from-revision <n>', 'start at this revision (default: the next one)').argParser(
        parseIntegerIn(1, Number.MAX_SAFE_INTEGER),
      ),
    )
    .addOption(new Option('--max-frames <n>', 'exit after n revisions').argParser(parseIntegerIn(1, Number.MAX_SAFE_INTEGER)))
    .action(async (prefix: string, flags: WatchFlags) => {
      await runVerb(flags, async ({ client, output, signal }) => {
        const watch = client.watch({ prefix, signal, ...(flags.fromRevision === undefined ? {} : { fromRevision: flags.fromRevision }) });
        let frames = 0;
        for await (const frame of watch) {
          if (output === 'json') writeJson(frame);
          else for (const line of frameLines(frame)) writeLine(line);
          frames += 1;
          if (frames === flags.maxFrames) break;
        }
      });
    });
}
