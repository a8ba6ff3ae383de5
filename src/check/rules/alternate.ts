import { decibels } from '../../format.js';
import { finding, nameList, type Rule } from './context.js';

const KIND_LABEL = { instrumental: 'instrumental', 'a-cappella': 'a cappella', 'tv-mix': 'TV mix', clean: 'clean version', underscore: 'underscore', subset: 'sum of other stems' } as const;

/** Each alternate version, verified: the stems it sums and whether it nulls against them. */
export const alternate: Rule = (ctx) =>
  ctx.alternates.flatMap((a) => {
    const label = KIND_LABEL[a.kind];
    const how = a.foundBy === 'content' ? ' (found by its content: it equals a sum of stems, so it was left out of the stem sum)' : '';
    const target = { path: a.file, name: a.name } as Parameters<typeof finding>[2]['file'];
    if (a.nulls === null) {
      return finding('package.alternate', 'warning', {
        file: target,
        message: `${a.name} (${label}) was kept out of the stem sum but could not be verified: ${a.unverified}${how}`,
        fix: `export ${a.name} with the same format as the stems so it can be checked`,
      });
    }
    if (a.nulls) {
      return finding('package.alternate', 'info', {
        file: target,
        message: `${a.name} is an alternate version (${label}) = ${nameList(a.stems)}: it nulls against them (residual ${decibels(a.residualPeakDbfs, 'dBFS')})${how}`,
        value: a.residualPeakDbfs,
        limit: ctx.profile.nullResidualMaxDbfs,
        fix: 'none needed: deliver it as an alternate version, not as a stem',
      });
    }
    return finding('package.alternate', 'error', {
      file: target,
      message: a.stems.length
        ? `${a.name} (${label}) is closest to ${nameList(a.stems)} but does not null against them: residual peak ${decibels(a.residualPeakDbfs, 'dBFS')}${how}`
        : `${a.name} (${label}) matches no combination of the stems (peak ${decibels(a.residualPeakDbfs, 'dBFS')} left)`,
      value: a.residualPeakDbfs,
      limit: ctx.profile.nullResidualMaxDbfs,
      fix: `re-export ${a.name} from the same session and master settings as the stems, with only the buses it should leave out muted`,
    });
  });
