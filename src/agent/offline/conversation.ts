/**
 * Conversation that is not an instruction: thanks and small talk, "show me the versions", "reset", "stronger" and
 * "more steps", "I liked the previous one better", "hmm not quite", "help". Every reader matches a whole clause
 * (never a part of an instruction), so "make him stronger" and "remove the dog" stay edits.
 * A message may string clauses together ("that's worse, undo", "nice but too strong", "perfect thanks"): chat and
 * complaints around one request give way to the request; two different requests are left to the caller.
 */
import type { AdjustableParam, ChatTopic, Turn } from '../instruction.ts';
import { readHistory, readReseed } from './follow-up.ts';
import { adjectives, colours, functionWords, keywordLexicon, verbLexicon } from './lexicon.ts';
import { editDistance, normalise, tokens } from './text.ts';

/** Contractions and chat spellings, spelt out so one pattern covers "that's", "thats" and "that is". */
const spelt = new Map<string, string>(Object.entries({
  "that's": 'that is', thats: 'that is', "it's": 'it is', its: 'it is', "what's": 'what is', whats: 'what is', "i'll": 'i will', "i'd": 'i would',
  "i've": 'i have', im: 'i am', "you're": 'you are', youre: 'you are', "we're": 'we are', "isn't": 'is not', isnt: 'is not', "wasn't": 'was not',
  wasnt: 'was not', "doesn't": 'does not', doesnt: 'does not', "didn't": 'did not', didnt: 'did not', dont: 'do not', cant: 'can not',
  "let's": 'let us', lets: 'let us', "there's": 'there is', u: 'you', ya: 'you', pls: 'please', plz: 'please', plox: 'please', thx: 'thanks',
  thnx: 'thanks', thanx: 'thanks', thnks: 'thanks', ty: 'thanks', tysm: 'thanks', tyvm: 'thanks', ok: 'okay', k: 'okay', kk: 'okay', gonna: 'going to',
  wanna: 'want to', lemme: 'let me', gimme: 'give me', '1st': 'first', orig: 'original', prev: 'previous', hist: 'history',
}));

/** Words a follow-up turns on, where a typo is common ("undoo", "try agian", "histroy", "thnaks"). */
const keywords = ['undo', 'redo', 'again', 'history', 'version', 'versions', 'thanks', 'original', 'previous', 'cancel', 'reset'];
const realWords = new Set<string>([...functionWords, ...verbLexicon, ...keywordLexicon, ...colours, ...adjectives, 'gain', 'unto', 'hanks', 'ranks', 'thank', 'version', 'rest', 'rise']);

function fixTypo(word: string): string {
  if (word.length < 4 || realWords.has(word) || keywords.includes(word) || !/^[a-z]+$/.test(word)) return word;
  const reach = word.length >= 8 ? 2 : 1;
  const near = keywords.filter((k) => Math.abs(k.length - word.length) <= reach && editDistance(word, k) <= reach);
  return near.length === 1 ? near[0] : word;
}

/** The words of a message, spelt out and typo-fixed, split into clauses at commas, "but" and "and". */
export function clausesOf(text: string): string[][] {
  const words = tokens(normalise(text)).flatMap((w) => tokens(spelt.get(w) ?? fixTypo(w)));
  const clauses: string[][] = [[]];
  for (const w of words) {
    if (w === ',' || w === 'but' || w === 'and') clauses.push([]);
    else clauses.at(-1)!.push(w);
  }
  return clauses.filter((c) => c.length > 0);
}

const leading = [
  'can you please', 'could you please', 'would you please', 'can you', 'could you', 'would you', 'will you', 'can we', 'could we', 'shall we', 'should we',
  'i want you to', 'i would like you to',
  'i want to', 'i would like to', 'let us', 'how about', 'ugh', 'argh', 'nah', 'no', 'nope', 'hmm', 'hm', 'hmmm', 'hmmmm', 'meh', 'oh', 'okay', 'well',
  'so', 'yeah', 'yes', 'yep', 'um', 'umm', 'uh', 'eh', 'oops', 'lol', 'haha', 'damn', 'dang', 'welp', 'alright', 'wait', 'actually', 'hey', 'yo',
  'please', 'just', 'now', 'then', 'kindly', 'sorry', 'still', 'oof', 'bruh', 'honestly', 'erm', 'ah', 'aw', 'aww', 'ok', 'also', 'maybe', 'ooh',
].map(tokens);
const trailing = ['please', 'thanks', 'thank you', 'for me', 'if you can', 'if possible', 'now', 'lol', 'haha', 'then', 'mate', 'bro', 'buddy', 'dude', 'man', 'already', 'tbh', 'imo', 'honestly', 'i think', 'i guess', 'though'].map(tokens);

const startsWith = (list: readonly string[], phrase: readonly string[], at = 0) => phrase.every((w, i) => list[at + i] === w);

/** Drop interjections and politeness at both ends; a clause that would be left empty stays as it was ("no", "ugh"). */
function core(clause: readonly string[]): string[] {
  let list = [...clause];
  for (let changed = true; changed; ) {
    changed = false;
    const lead = leading.find((p) => startsWith(list, p) && list.length > p.length && !(p[0] === 'no' && list[1] === 'more'));
    if (lead) [list, changed] = [list.slice(lead.length), true];
    const trail = trailing.find((p) => list.length > p.length && startsWith(list, p, list.length - p.length));
    if (trail) [list, changed] = [list.slice(0, list.length - trail.length), true];
  }
  return list;
}

// Chat: every word is a chat word, and one of them says what kind.
const thanksWords = /^(thanks|thank|cheers|appreciate|appreciated|merci|danke|gracias|grazie|thankyou)$/;
const topicWords: [ChatTopic, RegExp][] = [
  ['thanks', thanksWords],
  ['bye', /^(bye|goodbye|byebye|cya|farewell|later|gn)$/],
  ['greeting', /^(hi|hello|hey|hiya|howdy|sup|yo|greetings|morning|afternoon|evening|heya|hallo|hola)$/],
  ['praise', /^(perfect|great|awesome|amazing|nice|beautiful|lovely|wonderful|excellent|brilliant|fantastic|sweet|neat|love|loved|wow|superb|gorgeous|good|better|best|impressive|stunning|fabulous|incredible|magic|magical|dope|bravo|yay|splendid|fab|stellar|outstanding|marvellous|marvelous|cute)$/],
  ['laugh', /^(lol|lmao|lmfao|rofl|haha|hahaha|hahahaha|hah|hehe|heh|xd|lel|lul|kek)$/],
  ['ack', /^(okay|alright|sure|yes|yeah|yep|yup|understood|noted|gotcha|roger|cool|fine|ah|oh|ohh|aha|gotit|interesting|hmkay|mkay)$/],
];
const chatFiller =
  /^(you|so|soo|sooo|much|very|a|lot|lots|tons|it|that|this|is|looks|look|looked|was|i|really|job|work|works|done|bot|brushtalk|one|the|there|all|for|now|thing|stuff|man|dude|buddy|guys|mate|bro|friend|sir|everyone|folks|totally|just|pretty|super|quite|my|me|am|are|we|be|omg|well|too|still|again|please|got|both|indeed|absolutely|definitely|exactly|by|way|btw|to|huge|big|ever|de|nada|ha)$/;
const topicOrder: ChatTopic[] = ['thanks', 'bye', 'greeting', 'praise', 'laugh', 'done', 'ack'];

const donePhrases =
  /^(that is it|that is all|that will do|that does it|all done|i am done|we are done|done|finished|all good|good enough|that works|this works|it works|works for me|that is the one|this is the one|keep (it|this|this one|that|that one)|i will keep (it|this|this one|that one)|that is fine|it is fine|looks fine|accept|accepted|ship it|nailed it|you nailed it)$/;
const byePhrases = /^(see you|see you later|see ya|talk later|talk to you later|good night|good bye|night night|catch you later|gotta go|i have to go)$/;
const greetPhrases = /^(how are you|how are you doing|how is it going|what is up|good (morning|afternoon|evening|day))$/;

function readChat(clause: readonly string[]): ChatTopic | null {
  const t = clause.join(' ');
  if (byePhrases.test(t)) return 'bye';
  if (greetPhrases.test(t)) return 'greeting';
  if (/^no (thanks|thank you)$/.test(t)) return 'thanks';
  if (/^not (too |that |half )?bad$/.test(t)) return 'praise';
  if (donePhrases.test(core(clause).join(' '))) return clause.some((w) => thanksWords.test(w)) ? 'thanks' : 'done';
  const found = new Set<ChatTopic>();
  for (const w of clause) {
    const topic = topicWords.find(([, words]) => words.test(w))?.[0];
    if (topic) found.add(topic);
    else if (!chatFiller.test(w)) return null;
  }
  return topicOrder.find((t) => found.has(t)) ?? null;
}

const explicitHelp = /^(help|help me|i need help|need help|commands|command list|the commands|list (the |all |your )?commands|show (me )?(the |all |your )?commands|what are (the|your) commands|menu|manual|usage|what commands are there)$/;
const capability =
  /^(what (can|could|do|else can) (you|i) (do|say|ask|type)( here| for me| with (it|this|that|pictures?|images?|photos?))?|what are you|who are you|what is this|what is brushtalk|how (does|do) (this|it|you) work|how do i (use|start|begin)( (this|it|you))?|how does this thing work|what do you do|what are you (capable of|for|able to do|good at)|what are your (features|abilities|capabilities|skills)|how to use( this| it)?|what do i do with (this|you))$/;
const nextStep = /^(what now|now what|what next|what should i (do|say|try)( now| next)?|what do i do( now| next)?|then what|what else|any (ideas|suggestions)|suggest something|what would you suggest|what do you suggest)$/;

const listVerbs = '(show|list|see|view|display|print|give|check|open|get|bring up|pull up|let me see|can i see|i want to see|i would like to see|where are)';
const historyNouns = '(history|versions?|edits|steps|changes|revisions|undo history|edit history|version history|list of versions|log|timeline|past versions|previous versions|old versions|all versions|results)';
const historyList = [
  new RegExp(`^${listVerbs}( me| us)?( the| all( the| of the)?| my| our| your| every| previous| past| old)? ${historyNouns}( so far| we have| i have| there are| again| list)?$`),
  /^(the |all |my |our )?(history|versions|version history|edit history|all versions|versions so far)$/,
  /^what (versions|edits|changes) (do (we|i) have|are there|have (we|i|you) (made|done|got))( so far)?$/,
  /^what (have|did) (we|i|you) (do|done|make|made|change|changed)( so far)?$/,
  /^how many versions( are there| do (we|i) have)?$/,
  /^where (are we|am i)( now)?$/,
];

const resetWords =
  /^(reset|restart|start over|start again|start fresh|start afresh|from the top|start from scratch|start from the (beginning|start)|from scratch|begin again|back to square one|(undo|revert|reverse) (everything|all|all of it|all changes|all edits|all the changes|all the edits|all of that)|revert everything|reset (it|this|that|everything|all|it all|the (picture|image|photo|pic|edits|changes|session))|(clear|throw away|discard|scrap|drop) (all )?(the |my )?(edits|changes)|scrap (it|that|everything|all of it))$/;

const thing = '(one|version|result|picture|image|photo|pic|edit|take)';
const first = '(first|very first|original|initial|unedited|starting|untouched)';
/** The first picture, not the first result: "the first result" (or "the first one", readClause) is not version 1. */
const picture = '(one|version|picture|image|photo|pic)';
const earlier = '(previous|last|earlier|old|prior|one before|one before that)';
const liking = '(i )?(liked|like|prefer|preferred|loved)';
const towardsFirst = new RegExp(
  `^((go|take (me|us|it)|bring (me|us|it)|switch|get|jump|roll) back|back|return|revert|restore|bring back|show( me)?)( to)?( the)? (${first} ?(${picture}|state|again)?|beginning|very beginning|start)$`,
);
const firstWasBetter = [
  new RegExp(`^${liking} the ${first} ?${picture}?( more| better| instead| much better| a lot more)?$`),
  new RegExp(`^the ${first} ?${picture}? (was|looked|is) (better|nicer)$`),
];
const worse = /^((that|it|this) (is |was |looks |looked |got |just got |became |has gotten )?|looks |you made it |made it |that made it |this made it )?(much |way |even |a lot |so much |far |a bit |slightly )?worse( now| than before| than it was| again)?$/;
const likedBefore = [
  new RegExp(`^${liking} (it|that|this) (more |better |a lot more |much better |much more )?(before|earlier|previously)$`),
  new RegExp(`^${liking} (the )?${earlier} ?${thing}?( more| better| instead| a lot more| much more| much better)?( before| earlier)?$`),
  new RegExp(`^${liking} (the )?other ?${thing}? (more|better|much better)$`),
  new RegExp(`^${liking} (how|what) it (was|looked)( more| better)?( before| earlier)?$`),
  new RegExp(`^(the )?(${earlier}|other) ?${thing}? (was|looked|is) (better|nicer|good|fine|right)$`),
  /^(it|that|this) (was|looked) (better|nicer|fine) (before|earlier|previously)$/,
  /^(before|earlier) was better$/,
];
const backToPrevious = new RegExp(
  `^((go|take (me|us|it)|bring (me|us|it)|switch|get|jump|roll) back|back|return|revert|bring back)( to)? (the )?${earlier}( ${thing})?$|^(the )?(previous|prior|earlier|old) ${thing}$` +
    `|^((i )?(want|need|would like)|give me|bring|put) (the )?${earlier} ?${thing}? back$`,
);
const firstBack = new RegExp(`^((i )?(want|need|would like)|give me|bring|put) (the )?${first} ?${picture}? back$`);

/** "the first one", "the first try": the first result of the attempts, where "the original" is the photo (v1). */
const attempt = '(one|result|edit|try|attempt|take|go|version of the edit)';
const firstResult = [
  new RegExp(`^${liking} the (very )?first ${attempt}( more| better| instead| much better| a lot more| best)?$`),
  new RegExp(`^the (very )?first ${attempt} (was|looked|is) (better|nicer|best)$`),
  new RegExp(`^((go|take (me|us|it)|bring (me|us|it)|switch|get|jump|roll) back|back|return|revert|restore|bring back|show( me)?|use|keep|i will take|let us go with|go with)( to)?( the)? (very )?first ${attempt}( again| instead| please)?$`),
  new RegExp(`^((i )?(want|need|would like)|give me|bring|put) (the )?(very )?first ${attempt} back$`),
];
/** "do it again but stronger", "again, but fewer steps": the change is the request (it re-runs anyway). */
const againBut = /^((do|try|run|make) (it|that|this|one) )?again (but |and |only |just |with |a little |a bit )*/;

const effect = '(it|that|this|the (effect|edit|change|result|changes|edits)|everything)';
const amount = '((a )?(bit|little|lot|touch|tad|little bit) |much |even |way |slightly |somewhat |far |a lot )?';
const adjustments: [AdjustableParam, 'up' | 'down', RegExp[]][] = [
  ['strength', 'up', [
    new RegExp(`^((make|turn) ${effect} )?${amount}(stronger|more intense|more pronounced|more dramatic|more noticeable|more obvious|more visible|more extreme|bolder|heavier|punchier)$`),
    /^(more|increase|raise|higher|boost|bump up|bump|turn up|crank up|up|push up|max out|maximize|maximise|add more|stronger)( the)? (strength|intensity|effect|conditioning|conditioning scale|edit strength)$/,
    /^(bump|turn|crank|push|ramp|dial)( the)? (strength|intensity|effect) up$/,
    /^(strength|intensity|effect) (up|higher|more|plus)$/,
    /^(i can )?(barely|hardly) (see|notice) (it|that|the (change|edit|difference|effect))$|^((it is|that is|this is) )?(barely|hardly) (visible|noticeable|changed|different)$/,
    /^((it is|that is|this is|way|a bit|much) )*(too (weak|subtle|faint)|not (strong|intense|noticeable|visible|dramatic) enough)$|^(push it|go|do it)( further| more| harder)$|^(intensify|amplify|strengthen)( it| that| the effect)?$/,
  ]],
  ['strength', 'down', [
    new RegExp(`^((make|turn) ${effect} )?${amount}(weaker|less intense|less strong|subtler|more subtle|less pronounced|less dramatic|less obvious|less extreme|gentler|milder|less heavy)$`),
    /^(less|decrease|lower|reduce|turn down|tone down|dial down|dial back|bring down|weaker)( the)? (strength|intensity|effect|conditioning|conditioning scale|edit strength)$/,
    /^(strength|intensity|effect) (down|lower|less|minus)$/,
    /^((it is|that is|this is|way|a bit|a little|much|just) )*(too (strong|intense|much|heavy|extreme|obvious|harsh|dramatic)|overdone|over the top|overkill|not so (strong|intense|much))$/,
    /^(tone|dial|calm|turn) (it|that|this|the effect) (down|back)( a (bit|little|touch|tad))?$|^(tone|dial) (down|back)( a (bit|little|touch|tad))?$|^(ease|back) off( a (bit|little))?$|^(soften|weaken)( it| that| the effect)?$/,
  ]],
  ['steps', 'up', [
    /^((use|try|with|do|give it|run it with|try it with|add|let us do|go with|i want|add some|let us try) )?(more|extra|additional|higher|a few more|some more) (steps|step count|denoising steps|inference steps|iterations|sampling steps)$/,
    /^(increase|raise|bump up|bump|up|boost)( the)? (steps|step count|number of steps|iterations|denoising steps)$/,
    /^(bump|turn|crank|push|ramp|dial)( the)? (steps|step count|number of steps|iterations) up$/,
    /^(steps|iterations) (up|higher|more)$/,
    new RegExp(`^((with|give it|add|i want|try|use|add some) )?(more|extra|finer) (detail|details)$|^((make|render) ${effect} )?${amount}(more detailed|higher quality|better quality)$`),
    /^(improve|increase|raise|boost|better)( the)? (quality|detail|details)$|^(higher|better|best|max|more|full) quality$|^((it is|that is|this is|looks|it looks) )?(low quality|not detailed enough)$/,
  ]],
  ['steps', 'down', [
    /^((use|try|with|do|give it|run it with|try it with|let us do|go with|i want) )?(fewer|less|lower) (steps|step count|denoising steps|inference steps|iterations|sampling steps)$/,
    /^(decrease|reduce|lower|cut|drop)( the)? (steps|step count|number of steps|iterations|denoising steps)$/,
    /^(steps|iterations) (down|lower|less)$/,
    /^((make it|be|go|run|render) )?(faster|quicker)$|^speed( it| things)? up$|^((it is|that is|this is) )?(too slow|taking too long|takes too long)$|^(lower|draft|quick|rough) quality$|^(just )?a (quick|rough) (draft|version|preview)$|^quick draft$/,
  ]],
  ['guidance', 'up', [
    /^(more|increase|raise|higher|boost|bump up|bump|up|stronger)( the)? (guidance|cfg|guidance scale|cfg scale|prompt strength|prompt weight|caption strength)$/,
    /^(guidance|cfg) (up|higher|more)$/,
    /^(follow|stick to|match|listen to|respect|obey|stay closer to|keep closer to) (the |my )?(caption|prompt|description|text|words|instructions?) (more|better|more closely|closer|more strictly|more exactly)$/,
    /^(closer to|more like|more faithful to|truer to) (the |my )?(caption|prompt|description)$|^(more literal|more literally|more faithful|more faithfully|less creative|be less creative|less random)$/,
    /^((it is|that is|this is|it does) )?(not|does not look) (like|match|matching) (the |my )?(caption|prompt|description)$/,
  ]],
  ['guidance', 'down', [
    /^(less|decrease|lower|reduce|turn down|weaker)( the)? (guidance|cfg|guidance scale|cfg scale|prompt strength|prompt weight|caption strength)$/,
    /^(guidance|cfg) (down|lower|less)$/,
    /^(be )?more (creative|free|freedom|imaginative|artistic|varied|variety)$|^(be )?less (literal|strict)$|^(more creative freedom|get creative)$/,
    /^(follow|stick to|match) (the |my )?(caption|prompt|description) less( closely| strictly)?$|^less like the (caption|prompt|description)$/,
  ]],
];

const unsure =
  /^(no|nope|nah|idk|dunno|not sure|i do not know|i am not sure|whatever|hmm+|hm+|meh|eh|ugh|argh|hmph|not quite|not really|not exactly|not that|wrong|bad|close|almost|nearly|huh|what|wut|wat|nooo*|(that|it|this) (did not|does not|is not|will not) (work|help|do|right|it)|something is (off|wrong|weird)|close but no( cigar)?|(that is |it is |this is |that looks |it looks |this looks |looks |looking )?(not (right|it|good|great|nice|quite right|there yet|quite there|what i (wanted|meant|asked for|expected|had in mind|was going for))|wrong|off|weird|strange|odd|bad|ugly|terrible|awful|horrible|funny|fake|not quite it|almost there|close)|(that is |it is )?not what i (wanted|meant|asked for|expected|had in mind|was going for|was looking for)|(i )?(do not|did not) (like|love|want) (it|that|this)|i hate (it|that|this)|(i )?(do not|did not) (like|love) (it|that|this) (much|at all)|not (a fan|loving it|feeling it))$/;
const retry = /^((a )?different one|one more|one more (time|try|go|attempt|version|please)|another|another (go|round|shot|one please)|give it another (go|shot|try)|have another go|try (something|anything) else|roll the dice( again)?|do it again|again please|try once more|give me something else|something else|show me (another|something else))$/;

/** A clause's meaning, and whether it only colours another clause (chat, a complaint, "worse"). */
interface Reading {
  turn: Turn;
  soft: boolean;
}

function readClause(clause: readonly string[]): Reading | null {
  const topic = readChat(clause);
  if (topic) return { turn: { kind: 'chat', topic }, soft: true };
  const list = core(clause);
  const t = list.join(' ');
  if (explicitHelp.test(t)) return { turn: { kind: 'help', reason: 'commands' }, soft: false };
  if (capability.test(t)) return { turn: { kind: 'help', reason: 'question' }, soft: false };
  if (nextStep.test(t)) return { turn: { kind: 'help', reason: 'unclear' }, soft: true };
  if (historyList.some((p) => p.test(t))) return { turn: { kind: 'history' }, soft: false };
  if (resetWords.test(t)) return { turn: { kind: 'reset' }, soft: false };
  const change = t.replace(againBut, '');
  for (const [param, direction, patterns] of adjustments) if (patterns.some((p) => p.test(t) || p.test(change))) return { turn: { kind: 'adjust', param, direction }, soft: false };
  if (firstResult.some((p) => p.test(t))) return { turn: { kind: 'first-result' }, soft: false };
  if (towardsFirst.test(t) || firstBack.test(t) || firstWasBetter.some((p) => p.test(t))) return { turn: { kind: 'version', number: 1 }, soft: false };
  if (worse.test(t) || likedBefore.some((p) => p.test(t))) return { turn: { kind: 'undo' }, soft: true };
  if (backToPrevious.test(t)) return { turn: { kind: 'undo' }, soft: false };
  if (unsure.test(t)) return { turn: { kind: 'help', reason: 'unclear' }, soft: true };
  if (retry.test(t)) return { turn: { kind: 'reseed' }, soft: false };
  const followUp = list.length <= 7 ? (readHistory(list) ?? readReseed(list)) : null;
  return followUp ? { turn: followUp, soft: false } : null;
}

const same = (a: Turn, b: Turn) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The conversational meaning of a whole message, or null when any part of it is something else (an instruction,
 * a mask change, a caption) or it asks for two different things.
 */
export function readConversation(text: string): Turn | null {
  const readings = clausesOf(text).map(readClause);
  if (readings.length === 0 || readings.some((r) => r === null)) return null;
  const all = readings as Reading[];
  let firm = all.filter((r) => !r.soft).map((r) => r.turn);
  // "again, but fewer steps": the change re-runs the edit by itself; the "again" only says so.
  if (firm.some((t) => t.kind === 'adjust')) firm = firm.filter((t) => t.kind !== 'reseed');
  if (firm.length > 0) return firm.every((t) => same(t, firm[0])) ? firm[0] : null;
  // Only chat and complaints: a complaint that means "undo" wins, then one that asks, then the chat.
  const turns = all.map((r) => r.turn);
  const chats = turns.filter((t) => t.kind === 'chat');
  return (
    turns.find((t) => t.kind === 'undo') ??
    turns.find((t) => t.kind === 'help') ??
    topicOrder.map((topic) => chats.find((t) => t.topic === topic)).find(Boolean) ??
    null
  );
}
