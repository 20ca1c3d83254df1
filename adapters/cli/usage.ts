import { exitCodeHelp } from '../../src/errors.ts';

/** `brushtalk help`: every command main.ts runs, at most 100 columns wide. */
export const usage = `brushtalk — edit pictures by saying what to change

Editing (a session keeps its versions; --session name picks one, default "default")
  brushtalk edit <image> "<instruction>"  a new picture and what to change in it; mark the area
                                          with --box x,y,w,h (pixels) or --mask m.png (white =
                                          change); --out r.jpg also saves the result (.png .jpg
                                          .jpeg .webp)
  brushtalk edit "<instruction>"          go on in the session: "mask grow 12", "make it blue"
  brushtalk chat [image]                  talk it through; "load <file>" sends a picture
  brushtalk history | undo | redo | version N
  brushtalk detect <image> "<phrase>"     find an object: writes its mask and an overlay (--out)

Running the service
  brushtalk serve                         the studio and any configured chat bot (npm start)
  brushtalk worker                        render edits queued on Redis (REDIS_URL), one per GPU
  brushtalk discord deploy-commands       register the slash commands [--guild | --global]

Models and checks
  brushtalk weights list | pull <id> | verify   model files for detect/find (weights/README.md)
  brushtalk eval instructions <file.jsonl>      score the offline instructor on a labelled set
      [--llm] [--out preds.jsonl]               --llm: the LLM instructor (OPENAI_BASE_URL) instead

${exitCodeHelp}`;
