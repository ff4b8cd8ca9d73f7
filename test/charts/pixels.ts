import pixelmatch from 'pixelmatch';
import sharp from 'sharp';

/** Decodes two PNGs and counts the pixels that differ (pixelmatch, threshold 0.1). */
export async function diffPngs(a: Buffer, b: Buffer): Promise<{ differing: number; share: number; sameSize: boolean }> {
  const [x, y] = await Promise.all(
    [a, b].map((png) => sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })),
  );
  if (!x || !y) throw new Error('decode failed');
  if (x.info.width !== y.info.width || x.info.height !== y.info.height)
    return { differing: Infinity, share: 1, sameSize: false };
  const differing = pixelmatch(x.data, y.data, null, x.info.width, x.info.height, { threshold: 0.1 });
  return { differing, share: differing / (x.info.width * x.info.height), sameSize: true };
}

/** Golden tolerance: at most 0.5% of the pixels may differ. */
export const MAX_DIFF_SHARE = 0.005;
