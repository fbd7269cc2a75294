import { z } from 'zod';
import type { FieldMessageKey, Localized } from './messages.ts';
import { StepId } from './steps.ts';
import { freeText } from './text.ts';

// What the applicant's portal keeps besides applications: drafts of the form (saved as the person
// types, against their signed-in account) and ratings of the service (好差评) once it is over.

const IsoTime = z.iso.datetime({ offset: true });

// ── drafts ────────────────────────────────────────────────────────────────────────────────────

/** Drafts one account may keep at a time (unsubmitted). */
export const DRAFT_LIMIT = 20;

export const DraftId = z.uuid().describe('The id the gateway gave the draft');

/** The form as far as it is filled in: any JSON object; it is checked only when it is submitted. */
export const DraftForm = z.record(z.string(), z.unknown()).describe('The application form as far as it is filled in (checked only on submission)');

export const DraftSummary = z
  .object({
    id: DraftId,
    companyName: z.string().nullable().describe('The company name typed so far, if any'),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    submittedApplicationId: z.string().nullable().describe('Set once the draft was submitted: the application it became'),
    idempotencyKey: z.string().describe('Send it as Idempotency-Key when submitting this draft (signed in): a second submission returns the same application'),
  })
  .meta({ id: 'DraftSummary' });
export type DraftSummary = z.infer<typeof DraftSummary>;

export const Draft = DraftSummary.extend({ form: DraftForm }).meta({ id: 'Draft' });
export type Draft = z.infer<typeof Draft>;

export const DraftBody = z.strictObject({ form: DraftForm }).meta({ id: 'DraftBody' });
export const DraftList = z.object({ items: z.array(DraftSummary) }).meta({ id: 'DraftList' });

/** The Idempotency-Key a draft is submitted with: one draft, one application. */
export const draftIdempotencyKey = (draftId: string) => `draft-${draftId}`;

// ── ratings (好差评) ──────────────────────────────────────────────────────────────────────────

/** The national five-level scale of the 好差评 system, best first. */
export const RATING_LEVELS = [5, 4, 3, 2, 1] as const;
export const RatingLevel = z.number().int().min(1).max(5).describe('5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意');
export const RATING_LEVEL_LABELS: Readonly<Record<(typeof RATING_LEVELS)[number], Localized>> = {
  5: { en: 'Very satisfied', zh: '非常满意' },
  4: { en: 'Satisfied', zh: '满意' },
  3: { en: 'Fairly satisfied', zh: '基本满意' },
  2: { en: 'Dissatisfied', zh: '不满意' },
  1: { en: 'Very dissatisfied', zh: '非常不满意' },
};
/** A 差评 (poor rating): the two lowest levels; flagged to ops for follow-up. */
export const POOR_RATING_MAX = 2;
export const isPoorRating = (level: number) => level <= POOR_RATING_MAX;

export const RatingTarget = z.union([z.literal('overall'), StepId]).describe('"overall" for the whole service, or the step of one department');
export type RatingTarget = z.infer<typeof RatingTarget>;

export const RatingInput = z.strictObject({
  target: RatingTarget,
  level: RatingLevel,
  comment: freeText({ max: 500, multiline: true }).optional(),
});

export const RatingSubmission = z
  .strictObject({ ratings: z.array(RatingInput).min(1).max(8) })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.ratings.forEach((rating, i) => {
      if (seen.has(rating.target)) ctx.addIssue({ code: 'custom', path: ['ratings', i, 'target'], message: 'rating.duplicate_target' satisfies FieldMessageKey });
      seen.add(rating.target);
    });
  })
  .meta({ id: 'RatingSubmission' });
export type RatingSubmission = z.infer<typeof RatingSubmission>;

export const Rating = z
  .object({
    applicationId: z.string(),
    target: RatingTarget,
    level: RatingLevel,
    levelLabel: z.string().describe('The level in words, in the negotiated language'),
    comment: z.string().nullable(),
    poor: z.boolean().describe('A 差评 (level 1 or 2): flagged to the service centre for follow-up'),
    ratedAt: IsoTime,
  })
  .meta({ id: 'Rating' });
export type Rating = z.infer<typeof Rating>;

export const ApplicationRatings = z
  .object({
    open: z.boolean().describe('True once the application is completed or withdrawn'),
    targets: z.array(RatingTarget).describe('What may be rated: "overall" and each department that worked on the application'),
    ratings: z.array(Rating),
  })
  .meta({ id: 'ApplicationRatings' });

export const RatingFollowUp = z.object({ at: IsoTime, by: z.string(), note: z.string() }).meta({ id: 'RatingFollowUp' });
export const OpsRating = Rating.extend({ companyName: z.string(), followUp: RatingFollowUp.nullable() }).meta({ id: 'OpsRating' });
export const OpsRatingList = z.object({ items: z.array(OpsRating) }).meta({ id: 'OpsRatingList' });
export const RatingFollowUpBody = z.strictObject({ note: freeText({ min: 2, max: 1000, multiline: true }) }).meta({ id: 'RatingFollowUpBody' });

/** Per department (and overall) for a period: how many ratings of each level. */
export const RatingSummary = z
  .object({
    target: RatingTarget,
    count: z.number().int(),
    average: z.number().nullable(),
    byLevel: z.object({ '1': z.number().int(), '2': z.number().int(), '3': z.number().int(), '4': z.number().int(), '5': z.number().int() }),
    poor: z.number().int().describe('差评: levels 1 and 2'),
    satisfiedPercent: z.number().nullable().describe('Share of levels 3–5 (满意率), in percent'),
  })
  .meta({ id: 'RatingSummary' });
export type RatingSummary = z.infer<typeof RatingSummary>;
