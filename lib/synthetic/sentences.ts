/**
 * Built-in sentences of the synthetic speech dataset, a few per language. Short (one or two
 * clauses, 1.5–4 s of speech) so a clip fits the Audio-Expression model's training windows,
 * and chosen to cover each language's vowels and the lip-visible consonants (bilabials,
 * labiodentals, rounded vowels) that the mouth tracks are judged on.
 *
 * @module
 */

/** Languages with built-in sentences, and the espeak-ng voice that speaks each. */
export const LANGUAGE_VOICES = {
  en: 'en-us',
  de: 'de',
  fr: 'fr',
  es: 'es',
  it: 'it',
  pt: 'pt-br',
} as const;

export type Language = keyof typeof LANGUAGE_VOICES;

export const SENTENCES: Record<Language, readonly string[]> = {
  en: [
    'Papa and mama saw Bob by the boat.',
    'The quick brown fox jumps over the lazy dog.',
    'We should move the blue boxes before noon.',
    'My father bought five apples at the market.',
    'Please open the window, it is warm in here.',
    'Where were you when the music began?',
    'Big bubbles burst above the bathtub.',
    'Good morning, how are you feeling today?',
  ],
  de: [
    'Mama und Papa kaufen frisches Brot.',
    'Der Ball rollt über die grüne Wiese.',
    'Wir möchten morgen früh nach Berlin fahren.',
    'Ein kleiner Vogel sitzt auf dem Baum.',
    'Bitte mach das Fenster wieder zu.',
    'Guten Abend, wie geht es Ihnen heute?',
    'Fünf müde Bären schlafen im Wald.',
  ],
  fr: [
    'Bonjour, je suis très heureux de vous voir.',
    'Le petit bateau bleu flotte sur l’eau.',
    'Ma mère boit un bon café au lait.',
    'Nous partons pour Paris demain matin.',
    'Où est la boulangerie, s’il vous plaît?',
    'Une pomme verte tombe sur le mur.',
    'Il fait beau, allons au bord de la mer.',
  ],
  es: [
    'Buenos días, ¿cómo estás hoy?',
    'Mi mamá prepara una paella muy buena.',
    'El perro bebe agua en el parque.',
    'Vamos a la playa por la mañana.',
    'Pablo pinta un barco blanco y azul.',
    'Me gusta mucho la música popular.',
    'Un búho mira la luna desde el pino.',
  ],
  it: [
    'Buongiorno, come stai oggi?',
    'La mamma compra il pane e il burro.',
    'Mi piace molto la pizza con i funghi.',
    'Il bambino gioca nel parco vicino.',
    'Domani partiamo per Roma in treno.',
    'Un uomo buono porta le mele al mercato.',
  ],
  pt: [
    'Bom dia, tudo bem com você?',
    'Meu pai bebe café com pão pela manhã.',
    'O menino brinca na praia com a bola.',
    'Vamos ao mercado comprar uvas e maçãs.',
    'A lua brilha sobre o mar azul.',
    'Obrigado pela ajuda, muito bom.',
  ],
};
