/**
 * The words the offline instructor knows. Kept apart from the rules so a reviewer can read the vocabulary in
 * one place and extend it without touching the logic. All entries are lower case.
 */

const set = (words: string): ReadonlySet<string> => new Set(words.split(/\s+/).filter(Boolean));

/** Verbs that open an instruction; the typo corrector snaps a misspelt first word onto one of these. */
export const removalVerbs = set('remove delete erase eliminate wipe ditch lose banish vanish hide erase omit scrub strip exclude expunge obliterate clear');
export const additionVerbs = set('add insert place put include draw attach stick plant introduce spawn create generate decorate position hang sprinkle slip sneak incorporate integrate drop pop throw');
export const localVerbs = set('make turn change convert transform replace swap switch exchange substitute paint color colour recolor recolour dye tint alter modify dress');
export const backgroundVerbs = set('move send transport teleport relocate bring');
/** Verbs whose meaning depends on what follows ("take out" removes, "take him to paris" moves him). */
export const phrasalVerbs = set('get take clean clear cut crop throw edit give have let do set apply show render open close shut wear hold');
export const followUpVerbs = set('undo redo revert restore rollback reroll regenerate retry grow shrink expand enlarge select pick choose use');

export const verbLexicon: readonly string[] = [...removalVerbs, ...additionVerbs, ...localVerbs, ...backgroundVerbs, ...phrasalVerbs, ...followUpVerbs];

/** Long content words a typo in any position is snapped onto (short words are too easily confused). */
export const keywordLexicon: readonly string[] = [
  'background', 'backdrop', 'watercolor', 'watercolour', 'painting', 'cartoon', 'sketch', 'winter', 'summer', 'autumn',
  'sunset', 'sunrise', 'vintage', 'style', 'remove', 'delete', 'replace', 'change', 'caption', 'version', 'another',
  'bigger', 'smaller', 'larger', 'snowy', 'rainy', 'night', 'brighter', 'darker', 'include', 'except',
];

/** Words that open a turn without meaning anything for the edit. Longest first, so phrases win. */
export const leadingFillers: readonly string[] = [
  'i would like you to', "i'd like you to", 'i want you to', 'i need you to', 'would you please', 'could you please', 'can you please',
  'i would like to', "i'd like to", 'i want to', 'go ahead and', 'is it possible to', 'would you mind',
  'how about', 'what about', 'can you', 'could you', 'would you', 'will you', 'can u', 'could u', 'try to', 'try and', 'and then', 'no wait', 'how about you',
  'hmm', 'hm', 'hmmm', 'um', 'umm', 'uh', 'er', 'ok', 'okay', 'k', 'alright', 'so', 'well', 'actually', 'just', 'please', 'pls', 'plz',
  'kindly', 'now', 'then', 'next', 'hey', 'yo', 'bot', 'brushtalk', 'maybe', 'perhaps', 'quickly', "let's", 'lets', 'let us', 'oh', 'wait',
  'instead', 'rather', 'no', 'nope', 'nah', 'cool', 'great', 'nice', 'thanks', 'good', 'i think', 'you know', 'first', 'yes', 'yeah', 'yep', 'yup',
];
export const trailingFillers: readonly string[] = [
  'if you can', 'if possible', 'thank you', 'for me', 'please', 'pls', 'plz', 'thanks', 'thx', 'instead', 'now', 'ok', 'okay', 'for me please',
];

export const determiners = set('the a an this that these those some any my your his her its their our one\'s');
export const pronouns = set('it this that them him her he she they me us one everything');
export const personNouns = set(
  'man woman men women person people guy girl boy lady gentleman child children kid kids baby toddler player someone everyone everybody family couple group bride groom model runner cyclist hiker subject he she him her them they me us',
);
/** Nouns that mean the whole picture: an edit of these is global. */
export const imageNouns = set(
  'image picture photo photograph pic pics shot scene everything whole entire atmosphere mood lighting light weather season time style colors colours tone vibe look',
);
/** Nouns that mean the setting: an edit of these is a background edit. */
export const settingNouns = set('background backdrop backgrounds scenery setting surroundings environment sky location place landscape bg');

export const colours = set(
  'red orange yellow green blue purple violet pink brown black white gray grey golden gold silver beige teal turquoise cyan magenta maroon navy crimson scarlet lime olive tan cream ivory lavender lilac indigo bronze copper rainbow blond blonde brunette ginger transparent',
);
export const colourModifiers = set('dark light bright pale deep pastel neon hot baby sky royal');
export const intensifiers = set('more less very really bit little much slightly extra super too so way lot');

/** Expressions a person can be made to wear; an edit of these targets the face. Value: the caption word. */
export const expressions: Readonly<Record<string, string>> = {
  smile: 'smiling', smiling: 'smiling', smiley: 'smiling', laugh: 'laughing', laughing: 'laughing', grin: 'grinning', grinning: 'grinning',
  frown: 'frowning', frowning: 'frowning', cry: 'crying', crying: 'crying', wink: 'winking', winking: 'winking', pout: 'pouting',
  happy: 'happy', happier: 'happy', sad: 'sad', sadder: 'sad', angry: 'angry', angrier: 'angry', mad: 'angry', surprised: 'surprised',
  shocked: 'shocked', scared: 'scared', afraid: 'scared', serious: 'serious', sleepy: 'sleepy', tired: 'tired', excited: 'excited',
  calm: 'calm', annoyed: 'annoyed', disgusted: 'disgusted', sleep: 'sleeping', sleeping: 'sleeping',
};

/** Adjectives that end a local edit ("make the dog fluffy"). Colours and expressions count too. */
export const adjectives = set(
  'big bigger small smaller large larger huge tiny giant taller tall shorter short longer long wider wide thinner thin fatter fat ' +
    'old older new newer young younger rusty shiny clean cleaner dirty wet dry broken fluffy furry hairy bald curly straight striped ' +
    'spotted plaid sparkly glowing metallic wooden glass plastic stone marble leather fur cute scary beautiful ugly muscular ' +
    'round square sharp blurry blurred messy tidy modern futuristic ancient elegant fancy luxurious bald bearded wrinkled plain matte glossy weathered',
);

/** Cues of a whole-image (global) edit, matched as phrases against the normalised text. */
export const seasons = set('winter summer autumn wintry wintertime summertime springtime');
export const timesOfDay: Readonly<Record<string, string>> = {
  night: 'at night', nighttime: 'at night', 'night-time': 'at night', midnight: 'at midnight', evening: 'in the evening',
  dusk: 'at dusk', dawn: 'at dawn', sunrise: 'at sunrise', sunset: 'at sunset', 'golden hour': 'at golden hour',
  daytime: 'in daylight', daylight: 'in daylight', morning: 'in the morning', noon: 'at noon',
};
export const weather: Readonly<Record<string, string>> = {
  snowy: 'in the snow', snow: 'in the snow', snowing: 'in the snow', rainy: 'in the rain', rain: 'in the rain', raining: 'in the rain',
  foggy: 'in fog', fog: 'in fog', misty: 'in mist', mist: 'in mist', stormy: 'in a storm', storm: 'in a storm', thunderstorm: 'in a thunderstorm',
  sunny: 'on a sunny day', cloudy: 'on a cloudy day', overcast: 'on an overcast day', hazy: 'in haze',
};
/** Art media: the caption becomes "a <medium> of …". */
export const media: Readonly<Record<string, string>> = {
  'oil painting': 'oil painting', watercolor: 'watercolor painting', watercolour: 'watercolor painting', 'watercolor painting': 'watercolor painting',
  painting: 'painting', sketch: 'sketch', 'pencil sketch': 'pencil sketch', 'pencil drawing': 'pencil drawing', drawing: 'drawing',
  'charcoal drawing': 'charcoal drawing', cartoon: 'cartoon', comic: 'comic', 'pixel art': 'pixel art image', mosaic: 'mosaic',
  'stained glass': 'stained glass window', graffiti: 'graffiti mural', 'oil': 'oil painting', illustration: 'illustration',
};
/** Styles: the caption gets ", in <style> style". */
export const styles = set(
  'anime manga impressionist impressionism cubist cubism surreal surrealist cyberpunk steampunk vaporwave retro vintage noir cinematic ' +
    'hdr claymation lego ukiyo-e ghibli pixar disney renaissance baroque minimalist psychedelic gothic 3d low-poly pop-art art-deco pixelated cartoonish',
);
/** Tone changes and the caption words for their result. */
export const tones: Readonly<Record<string, string>> = {
  brighter: 'brightly lit', brighten: 'brightly lit', lighter: 'brightly lit', darker: 'dimly lit', darken: 'dimly lit', dimmer: 'dimly lit',
  warmer: 'in warm tones', cooler: 'in cool tones', 'more contrast': 'high contrast', contrast: 'high contrast', saturated: 'vivid colors',
  'more saturated': 'vivid colors', vibrant: 'vivid colors', vivid: 'vivid colors', desaturated: 'muted colors', desaturate: 'muted colors',
  faded: 'faded colors', moody: 'moody lighting', dramatic: 'dramatic lighting', dreamy: 'dreamy', sepia: 'in sepia',
  'black and white': 'in black and white', 'b&w': 'in black and white', grayscale: 'in black and white', greyscale: 'in black and white',
  monochrome: 'in black and white', 'old photo': 'as an old photo', polaroid: 'as a polaroid photo',
};
/** Things whose "addition" is really a whole-image effect ("add some fog", "add a vintage filter"). */
export const effectNouns = set('snow rain fog mist haze filter effect tint glow grain noise vignette lighting sunlight bokeh blur');

/**
 * Places a whole scene can be: swapping one for another ("swap the city for a forest", "turn the garden into a
 * desert") changes the setting around the subject, a background edit.
 */
export const sceneNouns = set(
  'city town village street road highway alley square market kitchen bedroom bathroom room office classroom library cafe restaurant bar pub ' +
    'park garden yard backyard field meadow forest woods jungle rainforest desert beach coast shore ocean sea lake river canal pond island ' +
    'mountain mountains hill hills valley canyon cave cliff glacier arctic tundra savanna prairie farm countryside landscape skyline ' +
    'lot parking stadium stage runway studio gym station airport harbor harbour port dock pier bridge rooftop ballroom castle courtyard ' +
    'museum church temple palace space moon mars underwater clearing trail slope wasteland swamp marsh volcano waterfall galaxy spaceship',
);

/** Where a setting noun sits: "on a beach", "in a forest". Anything unknown goes with "in". */
export const onSettings = set('beach moon mars street road grass lawn water ice snow field meadow stage bridge roof rooftop mountaintop boat deck sand rocks');

/** Posture verbs of "have her walk on water", and their -ing form. */
export const postures: Readonly<Record<string, string>> = {
  walk: 'walking', stand: 'standing', sit: 'sitting', swim: 'swimming', fly: 'flying', run: 'running', float: 'floating', lie: 'lying',
  dance: 'dancing', ride: 'riding', surf: 'surfing', skate: 'skating', ski: 'skiing', jump: 'jumping', relax: 'relaxing', pose: 'posing',
  walking: 'walking', standing: 'standing', sitting: 'sitting', swimming: 'swimming', flying: 'flying', running: 'running', floating: 'floating',
  dancing: 'dancing', surfing: 'surfing', be: '',
};

/** Words that end a noun phrase. */
export const boundaries = set(
  'from in on at with near beside behind under over above below into onto to for by next inside outside around between off out away down everywhere ' +
    'that which who whose where so because and or but then is are was were be should must look looks appear appears like as up using ' +
    'while without instead please too also , so that until through across along against toward towards',
);
/** Nouns that take an "of" after them and are not the head: "a cup of coffee" keeps "coffee" in the phrase. */
export const partitives = set('piece pieces cup cups glass glasses pair pairs bunch bottle bowl plate slice pile stack group herd flock bouquet box bag can loaf couple lot lots');

/** Selector words within a noun phrase; parseSelector turns them into a Selector. */
export const selectorWords = set(
  'left right leftmost rightmost left-most right-most top topmost upper uppermost bottom bottommost lower lowest first second third fourth ' +
    'fifth sixth seventh eighth ninth tenth last both all every each other others another remaining rest biggest largest smallest bigger larger smaller big large small',
);

/** Function words: known, so the typo corrector leaves them alone. */
export const functionWords = set(
  'a an the it this that these those is are was were be been do does did have has had can could would will should shall may might must ' +
    'i me my you your he she him her his they them their we us our its what how why who where when which not no yes and or but so if ' +
    'then now just only also too very more less much bit some all both one two three four five there here with without of in on at to ' +
    'from by for into onto over under behind next near off out away up down mask seed version caption again try use go back show see ' +
    'look like want need get let keep leave give put set take make new other another same thing things one ones bigger smaller help ' +
    'hi hello hey thanks thank ok okay please as well plus except instead lol',
);
