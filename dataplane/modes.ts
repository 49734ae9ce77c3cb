// The executor modes, by themselves: the command line's help reads them without loading the dataplane.
export type Mode = 'shared' | 'copy' | 'http'
export const MODES: Mode[] = ['shared', 'copy', 'http']
