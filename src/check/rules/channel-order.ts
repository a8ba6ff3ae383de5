import { decibels } from '../../format.js';
import { finding, mostCommon, readable, type Rule } from './context.js';

/** A permutation explains the residual when it leaves this little of the stem's part of the mix… */
const EXPLAINED_DB = -40;
/** …and improves on the file's own order by this much. */
const IMPROVEMENT_DB = 20;

/**
 * format.channel-order: a multichannel stem that nulls only with its channels permuted (named, with
 * the permutation), and files whose speaker labels (WAVE channel masks) differ at the same count.
 */
export const channelOrder: Rule = (ctx) => {
  const permuted = [...ctx.channelOrders]
    .filter(([, o]) => o.permutedRelativeDb <= EXPLAINED_DB && o.permutedRelativeDb <= o.asIsRelativeDb - IMPROVEMENT_DB)
    .flatMap(([f, o]) => {
      const labels = ctx.mix?.format?.channelLayout ?? f.format!.channelLayout;
      const wrong = o.permutation.flatMap((c, j) => (c === j ? [] : [`${labels[j]} is in its channel ${c + 1} (${f.format!.channelLayout[c]})`]));
      return finding('format.channel-order', 'error', {
        file: f,
        message: `${f.name}'s channels are in another order than the mix's: ${wrong.join(', ')}; reordered, it nulls (${decibels(o.permutedRelativeDb)} left of its part, ${decibels(o.asIsRelativeDb)} as it is)`,
        value: JSON.stringify(o.permutation),
        limit: JSON.stringify(o.permutation.map((_, j) => j)),
        fix: `re-export ${f.name} in the mix's channel order (${labels.join(' ')}), or reorder its channels as [${o.permutation.map((c) => c + 1).join(', ')}]`,
      });
    });
  const files = readable(ctx);
  const byCount = new Map<number, typeof files>();
  for (const f of files) if (f.format!.channels > 2) byCount.set(f.format!.channels, [...(byCount.get(f.format!.channels) ?? []), f]);
  const labelled = [...byCount.values()].flatMap((group) => {
    const reference = ctx.mix && group.includes(ctx.mix) ? ctx.mix.format!.channelLayout.join(' ') : mostCommon(group.map((f) => f.format!.channelLayout.join(' ')));
    return group
      .filter((f) => f.format!.channelLayout.join(' ') !== reference && !ctx.channelOrders.has(f))
      .flatMap((f) =>
        finding('format.channel-order', 'warning', {
          file: f,
          message: `${f.name} labels its channels ${f.format!.channelLayout.join(' ')}; the package's are ${reference}`,
          value: f.format!.channelLayout.join(' '),
          limit: reference ?? null,
          fix: `re-export ${f.name} with the same speaker layout as the other files (check the channel mask / track format)`,
        }),
      );
  });
  return [...permuted, ...labelled];
};
