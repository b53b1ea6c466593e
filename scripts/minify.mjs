// Minifies the playground's own JavaScript and CSS for serving and packing,
// one file at a time with esbuild (npm, pinned exactly in package.json):
// whitespace, syntax and identifiers that are not exported. Each file stays an ES module
// under its own name (imports, exports and every string are kept), so the
// module graph, relative URLs and `import.meta.url` work exactly as in the
// sources. License comments (`/*! ... */`, `@license`) are kept.
//
// Used by scripts/serve.mjs (every .js, .mjs and .css under web/ is sent
// minified unless started with --no-minify) and scripts/pack.mjs (the npm
// package ships minified files). Files that are minified already (vendored
// uPlot, names containing `.min.`) are left alone.
//
//   minifier()            -> Promise<((text, ext) => Promise<string>) | null>
//                            null when esbuild is not installed (the caller
//                            then serves or packs the sources as they are)
//   MINIFIABLE            extensions handled
//   shouldMinify(path)    whether a file is one to minify
import { basename, extname } from 'node:path';

export const MINIFIABLE = new Set(['.js', '.mjs', '.css']);

export function shouldMinify(path) {
  const name = basename(path);
  return MINIFIABLE.has(extname(name).toLowerCase()) && !name.includes('.min.') && !/(^|[\\/])vendor[\\/]/.test(path);
}

export async function minifier() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  return async (text, ext) => {
    const css = ext === '.css';
    const { code } = await esbuild.transform(text, {
      loader: css ? 'css' : 'js',
      // Every script of the page is an ES module: its top-level names may go too.
      ...(css ? {} : { format: 'esm' }),
      minify: true,
      legalComments: 'inline',
      charset: 'utf8',
    });
    return code;
  };
}
