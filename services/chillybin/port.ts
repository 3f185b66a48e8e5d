/** chillybin's port: the variable that sets it and its default (npm start, the images and the manifests use these). */
export const CHILLYBIN_PORT = { variable: "CHILLYBIN_PORT", default: 7001 } as const;
