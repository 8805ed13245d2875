import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { generatedFiles, staleFiles } from "../../scripts/dockerfiles.js";
import { repoPath } from "../support/paths.js";

/**
 * The Dockerfiles and module.json files come from one generator (scripts/dockerfiles.ts): a committed file that
 * differs from what it makes means someone edited one platform by hand, and the platforms drift apart.
 */

const files = generatedFiles();
const dockerfiles = [...files].filter(([path]) => /\/Dockerfile\./.test(path));

test("every committed Dockerfile and module.json is what `npm run dockerfiles` makes", () => {
  assert.deepEqual(staleFiles(), [], "run 'npm run dockerfiles' and commit the result");
});

test("four kostal2mqtt platforms and three simulator platforms, each named in its module.json", () => {
  assert.deepEqual(
    dockerfiles.map(([path]) => path),
    [
      "modules/kostal2mqtt/Dockerfile.amd64",
      "modules/kostal2mqtt/Dockerfile.amd64.debug",
      "modules/kostal2mqtt/Dockerfile.arm32v7",
      "modules/kostal2mqtt/Dockerfile.arm64v8",
      "modules/piko-simulator/Dockerfile.amd64",
      "modules/piko-simulator/Dockerfile.arm32v7",
      "modules/piko-simulator/Dockerfile.arm64v8",
    ],
  );
  for (const module of ["kostal2mqtt", "piko-simulator"]) {
    const json = JSON.parse(files.get(`modules/${module}/module.json`) ?? "{}") as {
      image: { repository: string; tag: { version: string; platforms: Record<string, string> } };
    };
    const platforms = Object.values(json.image.tag.platforms).map(
      (file) => `modules/${module}/${file.slice(2)}`,
    );
    assert.deepEqual(
      platforms,
      dockerfiles.map(([path]) => path).filter((path) => path.startsWith(`modules/${module}/`)),
    );
    // iotedgedev's variable; the image version is the package's.
    assert.equal(json.image.repository, `\${CONTAINER_REGISTRY_SERVER}/${module}`);
    const { version } = JSON.parse(readFileSync(repoPath("package.json"), "utf8")) as { version: string };
    assert.equal(json.image.tag.version, version);
  }
});

test("every stage is on Node 22 bookworm-slim, the architecture's own official image", () => {
  for (const [path, text] of dockerfiles) {
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    const expected = path.includes("arm32v7")
      ? "arm32v7/node:22-bookworm-slim"
      : path.includes("arm64v8")
        ? "arm64v8/node:22-bookworm-slim"
        : "node:22-bookworm-slim";
    assert.deepEqual(froms, [expected, expected, expected], path);
  }
});

test("the kostal2mqtt final stage: product code only, health check, non-root, SIGTERM", () => {
  for (const [path, text] of dockerfiles.filter(([p]) => p.includes("/kostal2mqtt/"))) {
    const final = text.slice(text.lastIndexOf("\nFROM "));
    assert.match(text, /RUN npx tsc -p tsconfig\.image\.json/, path);
    assert.doesNotMatch(text, /piko-simulator|edgehub-emulator|COPY (test|bench|scripts)\b/, path);
    assert.deepEqual(
      [...final.matchAll(/^COPY (?:--from=\S+ )?(\S+)/gm)].map((match) => match[1]),
      ["/app/node_modules", "/src/dist/modules/kostal2mqtt", "package.json", "bin"],
      path,
    );
    assert.match(final, /^USER node$/m, path);
    assert.match(final, /^STOPSIGNAL SIGTERM$/m, path);
    assert.match(final, /HEALTH_BIND=0\.0\.0\.0/, path);
    assert.match(final, /HEALTH_PORT=8480/, path);
    assert.match(final, /KOSTAL_DATA_DIR=\/app\/data/, path);
    assert.match(final, /NODE_ENV=production/, path);
    assert.match(final, /^EXPOSE 8480\b/m, path);
    assert.match(
      final,
      /^HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD \["node", "dist\/modules\/kostal2mqtt\/src\/main\.js", "healthcheck"\]$/m,
      path,
    );
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(final)?.[1] ?? "[]") as string[];
    assert.deepEqual(
      cmd.slice(0, 7),
      [
        ...["node", "--max-semi-space-size=1", "--no-turbofan", "--no-maglev", "--no-sparkplug"],
        ...["--single-threaded", "--v8-pool-size=1"],
      ],
      path,
    );
  }
});

test("the product build (tsconfig.image.json) reaches no file outside modules/kostal2mqtt/src", () => {
  // Following imports, not just the include globs: a static import of the simulator would pull it into the image.
  const parsed = ts.getParsedCommandLineOfConfigFile(
    repoPath("tsconfig.image.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
        assert.fail(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")),
    },
  );
  assert.ok(parsed);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const product = repoPath("modules/kostal2mqtt/src") + sep;
  const outside = program
    .getSourceFiles()
    .map((file) => resolve(file.fileName))
    .filter((file) => !file.startsWith(product) && !file.includes(`${sep}node_modules${sep}`));
  assert.deepEqual(outside, []);
  assert.ok(parsed.fileNames.some((file) => file.endsWith("modules/kostal2mqtt/src/main.ts")));
});

test(".dockerignore lets in only what the Dockerfiles copy", () => {
  const patterns = readFileSync(repoPath(".dockerignore"), "utf8")
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"));
  assert.equal(patterns[0], "*", "everything is left out first");
  assert.deepEqual(patterns.slice(1).sort(), [
    "!bin/",
    "!modules/kostal2mqtt/src/",
    "!modules/piko-simulator/src/",
    "!package-lock.json",
    "!package.json",
    "!tsconfig.image.json",
    "!tsconfig.json",
  ]);
});
