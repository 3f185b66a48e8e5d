/** jafflr's port: the variable that sets it and its default (npm start, the images and the manifests use these). */
export const JAFFLR_PORT = { variable: "JAFFLR_PORT", default: 7000 } as const;
